// ObjectCache: one file per key, `<dir>/<blake3>.kobj`: the objects of a step's parts,
//   "kiln-objects 1\n", the count (u64), then per object its size (u64) and bytes.
#include "kiln/codegen/ObjectCache.h"

#include "kiln/codegen/JitEngine.h"

#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/BLAKE3.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <random>

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif

namespace kiln::codegen {

std::filesystem::path ObjectCache::defaultDirectory() {
  if (const char *dir = std::getenv("KILN_CACHE_DIR"))
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "kiln";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "kiln";
  return {};
}

namespace {

/// Feeds everything written to it into a hash, so a module's bitcode is hashed as it is
/// written, never held whole.
class HashStream final : public llvm::raw_ostream {
public:
  explicit HashStream(llvm::BLAKE3 &hash) : hash_(hash) { SetUnbuffered(); }

private:
  void write_impl(const char *data, size_t size) override {
    hash_.update(llvm::StringRef(data, size));
    written_ += size;
  }
  uint64_t current_pos() const override { return written_; }

  llvm::BLAKE3 &hash_;
  uint64_t written_ = 0;
};

} // namespace

std::string ObjectCache::key(const llvm::Module &module, std::string_view salt) {
  const HostTarget &host = hostTarget();
  llvm::BLAKE3 hash;
  auto add = [&](std::string_view part) {
    hash.update(llvm::StringRef(part.data(), part.size()));
    hash.update(llvm::StringRef("\0", 1)); // separators: no two splits hash alike
  };
  {
    // Bitcode holds the whole module and is written several times faster than its text.
    HashStream stream(hash);
    llvm::WriteBitcodeToFile(module, stream);
  }
  hash.update(llvm::StringRef("\0", 1));
  add(salt);
  add(host.triple);
  add(host.cpu);
  add(host.features);
  add(KILN_VERSION);
  auto digest = hash.final();
  std::string hex;
  for (uint8_t byte : digest)
    hex += fmt::format("{:02x}", byte);
  return hex;
}

namespace {

constexpr std::string_view kMagic = "kiln-objects 1\n";

void putU64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool getU64(std::string_view &in, uint64_t &v) {
  if (in.size() < 8)
    return false;
  v = 0;
  for (int i = 0; i < 8; ++i)
    v |= uint64_t(static_cast<unsigned char>(in[size_t(i)])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

} // namespace

std::filesystem::path ObjectCache::path(const std::string &key) const {
  return directory_ / (key + ".kobj");
}

std::vector<std::unique_ptr<llvm::MemoryBuffer>> ObjectCache::load(const std::string &key) const {
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects;
  if (!enabled())
    return objects;
  auto file = llvm::MemoryBuffer::getFile(path(key).string(), /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return objects;
  std::string_view in((*file)->getBufferStart(), (*file)->getBufferSize());
  uint64_t count = 0;
  if (!in.starts_with(kMagic))
    return objects;
  in.remove_prefix(kMagic.size());
  if (!getU64(in, count) || count == 0 || count > 4096)
    return objects;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t size = 0;
    if (!getU64(in, size) || size > in.size())
      return {};
    objects.push_back(llvm::MemoryBuffer::getMemBufferCopy(
        llvm::StringRef(in.data(), size), fmt::format("{}.part{}", key, i)));
    in.remove_prefix(size);
  }
  if (!in.empty())
    return {};
  return objects;
}

void ObjectCache::store(const std::string &key, const std::vector<std::string> &objects) const {
  if (!enabled())
    return;
  std::error_code error;
  std::filesystem::create_directories(directory_, error);
  if (error)
    return;
  std::string bundle(kMagic);
  putU64(bundle, objects.size());
  for (const std::string &object : objects) {
    putU64(bundle, object.size());
    bundle += object;
  }
  std::filesystem::path target = path(key);
  std::filesystem::path temporary = target.string() + fmt::format(".tmp{}", std::random_device{}());
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(bundle.data(), static_cast<std::streamsize>(bundle.size()));
  }
  if (std::filesystem::file_size(temporary, error) != bundle.size() || error) {
    std::filesystem::remove(temporary, error);
    return;
  }
  std::filesystem::rename(temporary, target, error);
  if (error)
    std::filesystem::remove(temporary, error);
}

} // namespace kiln::codegen
