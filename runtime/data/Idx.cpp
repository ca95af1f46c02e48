// IDX layout (LeCun's MNIST page): a 4-byte magic 00 00 <type> <rank>, then <rank>
// big-endian u32 dimensions, then the row-major payload. The reader
//   1. opens the file and sniffs its first two bytes: 1f 8b means gzip (zlib's gzread),
//      anything else is read as is;
//   2. checks the magic, the type code and the rank, then each dimension;
//   3. reads exactly the payload the dimensions promise, growing the buffer as data
//      actually arrives (a corrupt header cannot make us allocate gigabytes up front);
//   4. insists on the end of the stream right after the payload.
#include "kiln/runtime/data/Idx.h"

#include "kiln/ir/Error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace kiln {

namespace {

constexpr uint8_t kTypeU8 = 0x08;
/// The largest payload kiln reads; far above any MNIST-like data set, far below what a
/// garbage header (e.g. a byte-swapped count) would claim.
constexpr uint64_t kMaxPayloadBytes = uint64_t(1) << 32;
constexpr size_t kMinChunk = size_t(1) << 20;

/// A file read from the start as a byte stream, gunzipped if it is gzip'd. read()
/// fails with a kiln::Error on an I/O error or a corrupt gzip stream.
class ByteStream {
public:
  explicit ByteStream(const std::string &path) : path_(path) {
    raw_ = std::fopen(path.c_str(), "rb");
    if (!raw_)
      fail("{}: cannot open: {}", path, std::strerror(errno));
    unsigned char magic[2] = {0, 0};
    size_t got = std::fread(magic, 1, 2, raw_);
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      std::fclose(raw_);
      raw_ = nullptr;
      gz_ = gzopen(path.c_str(), "rb");
      if (!gz_)
        fail("{}: cannot open: {}", path, errno ? std::strerror(errno) : "gzopen failed");
      gzbuffer(gz_, 1 << 17);
    } else {
      std::rewind(raw_);
    }
  }
  ~ByteStream() {
    if (raw_)
      std::fclose(raw_);
    if (gz_)
      gzclose(gz_);
  }
  ByteStream(const ByteStream &) = delete;
  ByteStream &operator=(const ByteStream &) = delete;

  /// Reads up to `n` bytes into `dst`; fewer only at the end of the stream.
  size_t read(uint8_t *dst, size_t n) {
    size_t total = 0;
    while (total < n) {
      size_t got = gz_ ? readGzip(dst + total, n - total) : readRaw(dst + total, n - total);
      if (got == 0)
        break;
      total += got;
    }
    return total;
  }

private:
  size_t readRaw(uint8_t *dst, size_t n) {
    size_t got = std::fread(dst, 1, n, raw_);
    if (got < n && std::ferror(raw_))
      fail("{}: read error: {}", path_, std::strerror(errno));
    return got;
  }

  size_t readGzip(uint8_t *dst, size_t n) {
    unsigned want = static_cast<unsigned>(std::min<size_t>(n, INT_MAX));
    int got = gzread(gz_, dst, want);
    // A short read is either the clean end of the stream or an error zlib recorded
    // (a truncated stream reads as much as it can and leaves Z_BUF_ERROR behind).
    if (got < 0 || static_cast<unsigned>(got) < want)
      checkGzip();
    return static_cast<size_t>(std::max(got, 0));
  }

  void checkGzip() {
    int errnum = Z_OK;
    const char *message = gzerror(gz_, &errnum);
    if (errnum == Z_OK)
      return;
    if (errnum == Z_ERRNO)
      fail("{}: read error: {}", path_, std::strerror(errno));
    // zlib prefixes its messages with the path it was given; we add our own.
    std::string text = message ? message : "unknown error";
    std::string prefix = path_ + ": ";
    if (text.starts_with(prefix))
      text.erase(0, prefix.size());
    fail("{}: gzip: {}", path_, text);
  }

  std::string path_;
  std::FILE *raw_ = nullptr;
  gzFile gz_ = nullptr;
};

const char *kindName(IdxKind kind) {
  switch (kind) {
  case IdxKind::Images:
    return "images";
  case IdxKind::Labels:
    return "labels";
  }
  return "?";
}

uint32_t bigEndian(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

std::string dimsStr(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

} // namespace

int idxRank(IdxKind kind) {
  switch (kind) {
  case IdxKind::Images:
    return 3;
  case IdxKind::Labels:
    return 1;
  }
  return 0;
}

namespace {

/// Reads and checks the magic number and the dimensions.
std::vector<int64_t> readHeader(ByteStream &in, const std::string &path, IdxKind kind) {
  const int rank = idxRank(kind);
  const uint32_t expectedMagic = uint32_t(kTypeU8) << 8 | uint32_t(rank);

  uint8_t magic[4];
  if (size_t got = in.read(magic, 4); got < 4)
    fail("{}: byte {}: truncated header: the file ends before the 4-byte magic number", path, got);
  if (magic[0] != 0 || magic[1] != 0)
    fail("{}: byte 0: bad magic 0x{:08x} (expected 0x{:08x} for {})", path, bigEndian(magic),
         expectedMagic, kindName(kind));
  if (magic[2] != kTypeU8)
    fail("{}: byte 2: unsupported element type 0x{:02x} (only 0x08, unsigned byte, is "
         "supported)",
         path, magic[2]);
  if (magic[3] != rank)
    fail("{}: byte 0: bad magic 0x{:08x} (expected 0x{:08x} for {})", path, bigEndian(magic),
         expectedMagic, kindName(kind));

  struct {
    std::vector<int64_t> dims;
  } result;
  uint64_t payload = 1;
  for (int d = 0; d < rank; ++d) {
    const int64_t offset = 4 + 4 * d;
    uint8_t bytes[4];
    if (size_t got = in.read(bytes, 4); got < 4)
      fail("{}: byte {}: truncated header: the file ends inside dimension {} of {}", path,
           offset + int64_t(got), d, rank);
    uint32_t dim = bigEndian(bytes);
    if (dim == 0)
      fail("{}: byte {}: dimension {} is 0", path, offset, d);
    // A set top bit is the usual sign of a little-endian writer or of garbage.
    if (dim > uint32_t(INT32_MAX))
      fail("{}: byte {}: dimension {} is {}, too large (byte order?)", path, offset, d, dim);
    result.dims.push_back(dim);
    payload *= dim;
    if (payload > kMaxPayloadBytes)
      fail("{}: byte {}: dimensions {}... make more than the {} bytes kiln reads", path, offset,
           dimsStr(result.dims), kMaxPayloadBytes);
  }
  return result.dims;
}

} // namespace

std::vector<int64_t> readIdxDims(const std::string &path, IdxKind kind) {
  ByteStream in(path);
  return readHeader(in, path, kind);
}

IdxArray readIdx(const std::string &path, IdxKind kind) {
  ByteStream in(path);
  const int rank = idxRank(kind);
  IdxArray result;
  result.dims = readHeader(in, path, kind);
  uint64_t payload = 1;
  for (int64_t dim : result.dims)
    payload *= static_cast<uint64_t>(dim);
  const int64_t headerBytes = 4 + 4 * int64_t(rank);

  size_t have = 0;
  while (have < payload) {
    size_t want = std::min<size_t>(payload - have, std::max(have, kMinChunk));
    result.data.resize(have + want);
    size_t got = in.read(result.data.data() + have, want);
    have += got;
    if (got < want)
      break;
  }
  if (have < payload)
    fail("{}: byte {}: truncated payload: {} {} need {} bytes after the {}-byte header, the "
         "file has {}",
         path, headerBytes + int64_t(have), kindName(kind), dimsStr(result.dims), payload,
         headerBytes, have);
  result.data.resize(payload);

  uint64_t trailing = 0;
  std::vector<uint8_t> scratch(1 << 16);
  while (size_t got = in.read(scratch.data(), scratch.size())) {
    trailing += got;
    if (got < scratch.size())
      break;
  }
  if (trailing)
    fail("{}: byte {}: {} trailing bytes after the {}-byte payload of {} {}", path,
         headerBytes + int64_t(payload), trailing, payload, kindName(kind), dimsStr(result.dims));
  return result;
}

} // namespace kiln
