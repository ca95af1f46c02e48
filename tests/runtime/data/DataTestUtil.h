// Helpers of the data tests: a temporary directory, IDX files written byte by byte (raw
// or gzip'd through zlib, well-formed or not) and small synthetic data sets.
#pragma once

#include "kiln/runtime/data/Mnist.h"

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiln::test {

using Bytes = std::vector<uint8_t>;

/// A fresh directory under the system temp dir, removed with everything in it.
class DataTempDir {
public:
  DataTempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kiln-data-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~DataTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  DataTempDir(const DataTempDir &) = delete;
  DataTempDir &operator=(const DataTempDir &) = delete;

  std::string str() const { return path_.string(); }
  std::string file(const std::string &name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

/// An IDX file's bytes: magic 00 00 `type` `rank`, big-endian `dims`, then `payload`.
inline Bytes idxBytes(const std::vector<uint32_t> &dims, const Bytes &payload,
                      uint8_t type = 0x08) {
  Bytes out = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<uint8_t>(d >> shift));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

inline void writeRaw(const std::string &path, const Bytes &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

/// `bytes` gzip-compressed (a complete gzip member).
inline Bytes gzipBytes(const Bytes &bytes) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  Bytes out(deflateBound(&zs, uLong(bytes.size())) + 32);
  zs.next_in = const_cast<Bytef *>(bytes.data());
  zs.avail_in = uInt(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = uInt(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END)
    throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

inline void writeGzip(const std::string &path, const Bytes &bytes) {
  writeRaw(path, gzipBytes(bytes));
}

/// Pixels that identify their image: pixel 0 and 1 hold the index, the rest a pattern.
inline Bytes syntheticImages(int64_t n, int64_t height, int64_t width) {
  Bytes pixels(size_t(n * height * width));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < height * width; ++p) {
      uint8_t v = static_cast<uint8_t>((i * 7 + p * 13) % 256);
      if (p == 0)
        v = static_cast<uint8_t>(i & 0xff);
      if (p == 1)
        v = static_cast<uint8_t>((i >> 8) & 0xff);
      pixels[size_t(i * height * width + p)] = v;
    }
  return pixels;
}

inline Bytes syntheticLabels(int64_t n) {
  Bytes labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    labels[size_t(i)] = static_cast<uint8_t>((i * 3) % 10);
  return labels;
}

/// An in-memory data set of `n` height x width images made by syntheticImages.
inline MnistDataset syntheticDataset(int64_t n, int64_t height = 4, int64_t width = 4) {
  MnistDataset data;
  data.height = height;
  data.width = width;
  data.images = syntheticImages(n, height, width);
  data.labels = syntheticLabels(n);
  return data;
}

} // namespace kiln::test
