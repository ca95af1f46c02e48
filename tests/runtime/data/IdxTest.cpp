// IDX reader: well-formed files (raw and gzip'd) and every kind of corruption, each
// with the message and byte offset it must report.
#include "DataTestUtil.h"

#include "kiln/runtime/data/Idx.h"

#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

using namespace kiln;
using namespace kiln::test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

/// The message readIdx fails with, or "" if it succeeds.
std::string idxError(const std::string &path, IdxKind kind) {
  try {
    readIdx(path, kind);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

const Bytes kPixels = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};

} // namespace

TEST_CASE("readIdx reads a raw images file", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("images");
  writeRaw(path, idxBytes({2, 2, 3}, kPixels));
  IdxArray a = readIdx(path, IdxKind::Images);
  CHECK(a.dims == std::vector<int64_t>{2, 2, 3});
  CHECK(a.data == kPixels);
}

TEST_CASE("readIdx reads a raw labels file", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("labels");
  writeRaw(path, idxBytes({4}, {7, 0, 9, 3}));
  IdxArray a = readIdx(path, IdxKind::Labels);
  CHECK(a.dims == std::vector<int64_t>{4});
  CHECK(a.data == Bytes{7, 0, 9, 3});
}

TEST_CASE("readIdx detects gzip by its magic bytes, not the file name", "[data][idx]") {
  DataTempDir dir;
  std::string name = GENERATE(std::string("images.gz"), std::string("images-idx3-ubyte"));
  std::string path = dir.file(name);
  writeGzip(path, idxBytes({2, 2, 3}, kPixels));
  IdxArray a = readIdx(path, IdxKind::Images);
  CHECK(a.dims == std::vector<int64_t>{2, 2, 3});
  CHECK(a.data == kPixels);
}

TEST_CASE("readIdx reads a payload larger than its read chunk", "[data][idx]") {
  // 3 MiB crosses the reader's 1 MiB chunks and buffer growth, raw and gzip'd.
  DataTempDir dir;
  Bytes pixels = syntheticImages(1024, 48, 64);
  Bytes file = idxBytes({1024, 48, 64}, pixels);
  writeRaw(dir.file("raw"), file);
  writeGzip(dir.file("gz"), file);
  CHECK(readIdx(dir.file("raw"), IdxKind::Images).data == pixels);
  CHECK(readIdx(dir.file("gz"), IdxKind::Images).data == pixels);
}

TEST_CASE("readIdx rejects a bad magic number", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("train-labels-idx1-ubyte");
  SECTION("wrong rank for labels") {
    writeRaw(path, idxBytes({2, 2}, {1, 2, 3, 4}));
    CHECK_THAT(idxError(path, IdxKind::Labels),
               Equals(path + ": byte 0: bad magic 0x00000802 (expected 0x00000801 for labels)"));
  }
  SECTION("labels file given as images") {
    writeRaw(path, idxBytes({4}, {1, 2, 3, 4}));
    CHECK_THAT(idxError(path, IdxKind::Images),
               Equals(path + ": byte 0: bad magic 0x00000801 (expected 0x00000803 for images)"));
  }
  SECTION("nonzero leading bytes") {
    Bytes bytes = idxBytes({4}, {1, 2, 3, 4});
    bytes[0] = 0x50; // e.g. a PNG or a text file
    writeRaw(path, bytes);
    CHECK_THAT(idxError(path, IdxKind::Labels),
               Equals(path + ": byte 0: bad magic 0x50000801 (expected 0x00000801 for labels)"));
  }
}

TEST_CASE("readIdx rejects element types other than unsigned byte", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("floats");
  writeRaw(path, idxBytes({1}, {0, 0, 0, 0}, /*type=*/0x0d));
  CHECK_THAT(idxError(path, IdxKind::Labels),
             StartsWith(path + ": byte 2: unsupported element type 0x0d"));
}

TEST_CASE("readIdx rejects a truncated header", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("short");
  SECTION("inside the magic") {
    writeRaw(path, {0, 0});
    CHECK_THAT(idxError(path, IdxKind::Images), StartsWith(path + ": byte 2: truncated header"));
  }
  SECTION("empty file") {
    writeRaw(path, {});
    CHECK_THAT(idxError(path, IdxKind::Labels), StartsWith(path + ": byte 0: truncated header"));
  }
  SECTION("inside the dimensions") {
    Bytes bytes = idxBytes({60000, 28, 28}, {});
    bytes.resize(10); // magic, the count and half of the height
    writeRaw(path, bytes);
    CHECK_THAT(idxError(path, IdxKind::Images),
               Equals(path + ": byte 10: truncated header: the file ends inside dimension 1 of 3"));
  }
}

TEST_CASE("readIdx rejects a truncated payload", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("cut");
  Bytes pixels = kPixels;
  pixels.resize(7);
  writeRaw(path, idxBytes({2, 2, 3}, pixels));
  CHECK_THAT(idxError(path, IdxKind::Images),
             Equals(path + ": byte 23: truncated payload: images [2,2,3] need 12 bytes after the "
                           "16-byte header, the file has 7"));
}

TEST_CASE("readIdx rejects trailing bytes", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("long");
  SECTION("raw") { writeRaw(path, idxBytes({3}, {1, 2, 3, 4, 5, 6})); }
  SECTION("gzip'd: the offset is into the decompressed stream") {
    writeGzip(path, idxBytes({3}, {1, 2, 3, 4, 5, 6}));
  }
  CHECK_THAT(idxError(path, IdxKind::Labels),
             Equals(path + ": byte 11: 3 trailing bytes after the 3-byte payload of labels [3]"));
}

TEST_CASE("readIdx rejects a zero dimension", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("empty");
  writeRaw(path, idxBytes({5, 0, 28}, {}));
  CHECK_THAT(idxError(path, IdxKind::Images), Equals(path + ": byte 8: dimension 1 is 0"));
}

TEST_CASE("readIdx rejects absurd dimensions before reading the payload", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("huge");
  SECTION("a dimension with its top bit set") {
    writeRaw(path, idxBytes({28, 0xEA600000u, 28}, {}));
    CHECK_THAT(idxError(path, IdxKind::Images),
               StartsWith(path + ": byte 8: dimension 1 is 3932160000, too large"));
  }
  SECTION("a little-endian count (60000 read as 0x60EA0000)") {
    writeRaw(path, idxBytes({0x60EA0000u, 28, 28}, {}));
    CHECK_THAT(idxError(path, IdxKind::Images),
               StartsWith(path + ": byte 8: dimensions [1625948160,28]... make more than"));
  }
  SECTION("a product over the size limit") {
    writeRaw(path, idxBytes({0x10000000u, 0x100u, 0x100u}, {}));
    CHECK_THAT(idxError(path, IdxKind::Images),
               StartsWith(path + ": byte 8: dimensions [268435456,256]... make more than"));
  }
}

TEST_CASE("readIdx reports corrupt gzip data with zlib's message", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("bad.gz");
  SECTION("garbage after the gzip magic") {
    writeRaw(path, {0x1f, 0x8b, 0x42, 0x13, 0x37, 0x00, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa});
    CHECK_THAT(idxError(path, IdxKind::Labels), StartsWith(path + ": gzip: "));
  }
  SECTION("a corrupted deflate stream") {
    Bytes gz = gzipBytes(idxBytes({2, 2, 3}, kPixels));
    for (size_t i = 10; i < gz.size() - 8; ++i)
      gz[i] = 0xff;
    writeRaw(path, gz);
    CHECK_THAT(idxError(path, IdxKind::Images), StartsWith(path + ": gzip: "));
  }
  SECTION("a gzip stream cut short") {
    Bytes gz = gzipBytes(idxBytes({1024, 8, 8}, syntheticImages(1024, 8, 8)));
    gz.resize(gz.size() / 2);
    writeRaw(path, gz);
    CHECK_THAT(idxError(path, IdxKind::Images), Equals(path + ": gzip: unexpected end of file"));
  }
}

TEST_CASE("readIdx reports a missing file", "[data][idx]") {
  DataTempDir dir;
  std::string path = dir.file("absent");
  CHECK_THAT(idxError(path, IdxKind::Labels),
             Equals(path + ": cannot open: No such file or directory"));
}
