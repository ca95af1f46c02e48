// Atomic replacement of a file: temp file in the same directory + fsync + rename + fsync
// of the directory. The same directory matters: rename(2) is only atomic within one
// filesystem.
#include "kiln/runtime/io/AtomicFile.h"

#include "kiln/ir/Error.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln {

namespace {

std::string errnoText(int err) { return std::strerror(err); }

/// The directory holding `path` ("." for a bare file name).
std::string directoryOf(const std::string &path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

/// Owns the temporary file: removes it on destruction unless the rename succeeded.
class TempFile {
public:
  explicit TempFile(const std::string &target) : target_(target) {
    std::filesystem::path p(target);
    std::string base = p.filename().string();
    if (base.empty() || base == "." || base == "..")
      fail("{}: not a file name", target);
    // pid + process-wide counter: unique among concurrent writers; O_EXCL guards the rest.
    static std::atomic<uint64_t> counter{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::string name = fmt::format(".{}.tmp-{}-{}", base, ::getpid(), counter++);
      std::filesystem::path tmp = p.parent_path() / name;
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd >= 0) {
        fd_ = fd;
        tmpPath_ = tmp.string();
        return;
      }
      if (errno != EEXIST)
        fail("{}: cannot create a temporary file in '{}' ({})", target, directoryOf(target),
             errnoText(errno));
    }
    fail("{}: cannot create a temporary file in '{}' (too many name collisions)", target,
         directoryOf(target));
  }
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;

  ~TempFile() {
    if (fd_ >= 0)
      ::close(fd_);
    if (!committed_)
      ::unlink(tmpPath_.c_str());
  }

  void write(const char *data, size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        fail("{}: write failed ({})", target_, errnoText(errno));
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
  }

  /// fsync + close + (beforeRename) + rename over the target + fsync of the directory.
  void commit(const std::function<void()> &beforeRename) {
    if (::fsync(fd_) != 0)
      fail("{}: fsync failed ({})", target_, errnoText(errno));
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0)
      fail("{}: close failed ({})", target_, errnoText(errno));
    if (beforeRename)
      beforeRename();
    if (::rename(tmpPath_.c_str(), target_.c_str()) != 0)
      fail("{}: cannot rename the temporary file over it ({})", target_, errnoText(errno));
    committed_ = true;
    // Without this the rename itself may be lost on a crash.
    try {
      fsyncDirectory(directoryOf(target_));
    } catch (const Error &e) {
      fail("{}: {}", target_, e.what());
    }
  }

private:
  std::string target_;
  std::string tmpPath_;
  int fd_ = -1;
  bool committed_ = false;
};

/// Buffers small writes so a tensor-by-tensor producer does not cost a syscall each.
class BufferedSink : public ByteSink {
public:
  explicit BufferedSink(TempFile &file) : file_(file) { buffer_.reserve(kCapacity); }

  void write(std::string_view bytes) override {
    if (buffer_.size() + bytes.size() > kCapacity) {
      flush();
      if (bytes.size() >= kCapacity) {
        file_.write(bytes.data(), bytes.size());
        return;
      }
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  }

  void flush() {
    file_.write(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

private:
  static constexpr size_t kCapacity = size_t(1) << 20;
  TempFile &file_;
  std::vector<char> buffer_;
};

} // namespace

void fsyncDirectory(const std::string &dir) {
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0)
    fail("cannot open directory '{}' to fsync it ({})", dir, errnoText(errno));
  // EINVAL: the filesystem does not support fsync on directories; nothing more to do.
  int rc = ::fsync(dirFd);
  int err = errno;
  ::close(dirFd);
  if (rc != 0 && err != EINVAL)
    fail("fsync of directory '{}' failed ({})", dir, errnoText(err));
}

void writeFileAtomically(const std::string &path,
                         const std::function<void(ByteSink &sink)> &produce,
                         const std::function<void()> &beforeRename) {
  TempFile file(path);
  BufferedSink sink(file);
  produce(sink);
  sink.flush();
  file.commit(beforeRename);
}

void writeFileAtomically(const std::string &path, std::string_view bytes) {
  writeFileAtomically(path, [&](ByteSink &sink) { sink.write(bytes); });
}

void ensureWritableDir(const std::string &dir) {
  namespace fs = std::filesystem;
  if (dir.empty())
    fail("output directory name is empty");
  std::error_code ec;
  fs::file_status status = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    fail("{}: cannot access directory ({})", dir, ec.message());
  if (!fs::exists(status)) {
    fs::create_directories(dir, ec);
    if (ec)
      fail("{}: cannot create directory ({})", dir, ec.message());
    status = fs::status(dir, ec);
  }
  if (!fs::is_directory(status))
    fail("{}: exists and is not a directory", dir);
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    fail("{}: directory is not writable ({})", dir, errnoText(errno));
}

} // namespace kiln
