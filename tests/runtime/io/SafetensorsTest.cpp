#include "kiln/runtime/io/Safetensors.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/Random.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>

using namespace kiln;
using Catch::Contains;
using kiln::test::readFile;
using kiln::test::TestDir;
using kiln::test::writeRaw;

namespace {

Tensor randomTensor(Type type, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-100.0, 100.0);
  Tensor t(type);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = dist(rng);
    t.set(i, type.dtype == DType::Bool ? double(v > 0) : v);
  }
  return t;
}

bool sameBytes(const Tensor &a, const Tensor &b) {
  return a.type() == b.type() && std::memcmp(a.raw(), b.raw(), a.byteSize()) == 0;
}

/// A safetensors file assembled by hand: little-endian length, header text, data bytes.
std::string assemble(const std::string &header, const std::string &data) {
  std::string bytes(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::string readError(const std::string &path) {
  try {
    readSafetensors(path);
  } catch (const Error &e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST_CASE("safetensors round trip of every dtype, scalars and empty tensors", "[io]") {
  TestDir dir;
  std::string path = dir.file("all.safetensors");
  std::vector<NamedTensor> tensors = {
      {"conv1.weight", randomTensor({DType::F32, {4, 1, 3, 3}}, 1)},
      {"double", randomTensor({DType::F64, {3, 5}}, 2)},
      {"ints", randomTensor({DType::I32, {7}}, 3)},
      {"mask", randomTensor({DType::Bool, {2, 3}}, 4)},
      {"scalar", Tensor::full({DType::F32, {}}, 2.5)},
      {"empty", Tensor({DType::F32, {0, 4}})},
      {"bn1.num_batches_tracked", Tensor::full({DType::I32, {}}, 938), /*int64OnDisk=*/true},
  };
  writeSafetensors(path, tensors);
  SafetensorsFile file = readSafetensors(path);
  CHECK(file.metadata.empty());
  REQUIRE(file.tensors.size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    INFO(tensors[i].name);
    CHECK(file.tensors[i].name == tensors[i].name);
    CHECK(file.tensors[i].int64OnDisk == tensors[i].int64OnDisk);
    CHECK(sameBytes(file.tensors[i].tensor, tensors[i].tensor));
  }
  REQUIRE(file.find("scalar"));
  CHECK(file.find("scalar")->at(0) == 2.5);
  CHECK(file.find("nope") == nullptr);
  // No metadata: no "__metadata__" key at all, as the Python writer does it.
  CHECK(readFile(path).find("__metadata__") == std::string::npos);
  // Writing what was read gives the same bytes (the I64 flag survives the round trip).
  std::string again = dir.file("again.safetensors");
  writeSafetensors(again, file.tensors, file.metadata);
  CHECK(readFile(again) == readFile(path));
}

TEST_CASE("safetensors metadata round trip", "[io]") {
  TestDir dir;
  std::string path = dir.file("meta.safetensors");
  std::map<std::string, std::string> meta = {{"format", "pt"}, {"model", "cnn \"v2\""}};
  writeSafetensors(path, {{"x", Tensor::full({DType::F32, {2}}, 1)}}, meta);
  CHECK(readSafetensors(path).metadata == meta);
}

TEST_CASE("safetensors bytes match the format byte for byte", "[io]") {
  TestDir dir;
  std::string path = dir.file("small.safetensors");
  Tensor w({DType::F32, {2}});
  w.data<float>()[0] = 1.0f;
  w.data<float>()[1] = -2.0f;
  writeSafetensors(path, {{"w", w}, {"n", Tensor::full({DType::I32, {}}, 7), true}},
                   {{"format", "pt"}});
  // 138 bytes of JSON + 6 spaces of padding = 144 = 0x90.
  std::string header = R"({"__metadata__":{"format":"pt"},)"
                       R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}})"
                       "      ";
  std::string expected = std::string("\x90\0\0\0\0\0\0\0", 8) + header +
                         std::string("\x00\x00\x80\x3f"
                                     "\x00\x00\x00\xc0"
                                     "\x07\x00\x00\x00\x00\x00\x00\x00",
                                     16);
  CHECK(readFile(path) == expected);
}

TEST_CASE("safetensors reader accepts tensors listed out of data order", "[io]") {
  TestDir dir;
  std::string path = dir.file("order.safetensors");
  float values[2] = {3.0f, 4.0f};
  writeRaw(path, assemble(R"({"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]},)"
                          R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                          std::string(reinterpret_cast<char *>(values), 8)));
  SafetensorsFile file = readSafetensors(path);
  REQUIRE(file.tensors.size() == 2);
  CHECK(file.tensors[0].name == "b");
  CHECK(file.tensors[0].tensor.at(0) == 4.0);
  CHECK(file.tensors[1].tensor.shape() == Shape{1});
  CHECK(file.tensors[1].tensor.at(0) == 3.0);
}

TEST_CASE("safetensors writer rejects bad names and flags", "[io]") {
  TestDir dir;
  std::string path = dir.file("bad.safetensors");
  Tensor t = Tensor::full({DType::F32, {1}}, 0);
  CHECK_THROWS_WITH(writeSafetensors(path, {{"a", t}, {"a", t}}),
                    path + ": tensor 'a': duplicate name");
  CHECK_THROWS_WITH(writeSafetensors(path, {{"", t}}), Contains("empty name"));
  CHECK_THROWS_WITH(writeSafetensors(path, {{"__metadata__", t}}), Contains("reserved"));
  CHECK_THROWS_WITH(writeSafetensors(path, {{"a", t, true}}),
                    Contains("only an i32 tensor can be stored as I64, not f32[1]"));
  CHECK_THROWS_WITH(writeSafetensors(path, {{"a\xff", t}}), Contains("not valid UTF-8"));
  CHECK(dir.entries().empty());
}

TEST_CASE("safetensors reader reports every malformation with its location", "[io]") {
  TestDir dir;
  std::string path = dir.file("bad.safetensors");
  auto check = [&](const std::string &bytes, const std::string &message) {
    writeRaw(path, bytes);
    CHECK(readError(path) == path + ": " + message);
  };
  const std::string f32x2 = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

  SECTION("missing file") {
    CHECK(readError(dir.file("none")) == dir.file("none") + ": cannot open (No such file or "
                                                            "directory)");
  }
  SECTION("shorter than 8 bytes") {
    check("abc", "byte 0: file is 3 bytes, too short for the 8-byte header length");
  }
  SECTION("header length beyond the file") {
    check(assemble(f32x2, std::string(8, '\0')).substr(0, 40),
          fmt::format("byte 0: header length {} exceeds the 32 bytes after it", f32x2.size()));
  }
  SECTION("JSON syntax error") {
    check(assemble(R"({"w":})", ""), "byte 13: header is not valid JSON: syntax error while "
                                     "parsing value - unexpected '}'; expected '[', '{', or a "
                                     "literal (line 1, column 6)");
  }
  SECTION("a number beyond double (found by the safetensors fuzzer)") {
    check(assemble(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":4e44444}})", ""),
          "byte 8: header is not valid JSON: number overflow parsing '4e44444'");
  }
  SECTION("header is not an object") {
    check(assemble("[1,2]", ""), "byte 8: header is a JSON array, not an object");
  }
  SECTION("missing keys") {
    check(assemble(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", std::string(8, '\0')),
          "tensor 'w': missing key 'shape'");
  }
  SECTION("shape and offsets disagree") {
    check(
        assemble(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')),
        "tensor 'w': F32 [3] needs 12 bytes but data_offsets [0,8] span 8");
  }
  SECTION("negative dimension") {
    check(assemble(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                   std::string(8, '\0')),
          "tensor 'w': shape holds -2, not a non-negative integer");
  }
  SECTION("huge shape") {
    check(assemble(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                   R"("data_offsets":[0,8]}})",
                   std::string(8, '\0')),
          "tensor 'w': shape [4294967296,4294967296] is too large");
  }
  SECTION("offsets out of range") {
    check(assemble(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                   std::string(8, '\0')),
          "tensor 'w': data_offsets [4,12] lie outside the data section of 8 bytes");
  }
  SECTION("reversed offsets") {
    check(
        assemble(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", std::string(8, '\0')),
        "tensor 'w': data_offsets [8,0] end before they begin");
  }
  SECTION("overlapping tensors") {
    check(assemble(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                   R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                   std::string(12, '\0')),
          "tensor 'b': data_offsets [4,12] overlap tensor 'a' [0,8]");
  }
  SECTION("gap between tensors") {
    std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
    check(assemble(header, std::string(12, '\0')),
          fmt::format("byte {}: 4 unused bytes before tensor 'b'", 8 + header.size() + 4));
  }
  SECTION("duplicate names") {
    check(assemble(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                   R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                   std::string(8, '\0')),
          "tensor 'w': duplicate name in the header");
  }
  SECTION("trailing data") {
    check(assemble(f32x2, std::string(11, '\0')),
          fmt::format("byte {}: 3 bytes of trailing data after the last tensor",
                      8 + f32x2.size() + 8));
  }
  SECTION("F16 and BF16 are named as unsupported") {
    check(
        assemble(R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", std::string(4, '\0')),
        "tensor 'h': unsupported dtype F16 (kiln reads F32, F64, I32, I64 and BOOL)");
    check(assemble(R"({"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})",
                   std::string(4, '\0')),
          "tensor 'h': unsupported dtype BF16 (kiln reads F32, F64, I32, I64 and BOOL)");
    check(
        assemble(R"({"h":{"dtype":"Q4","shape":[2],"data_offsets":[0,4]}})", std::string(4, '\0')),
        "tensor 'h': unknown dtype 'Q4'");
  }
  SECTION("I64 value that does not fit i32") {
    int64_t values[2] = {5, int64_t(1) << 40};
    check(assemble(R"({"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})",
                   std::string(reinterpret_cast<char *>(values), 16)),
          "tensor 'n': I64 value 1099511627776 at index 1 does not fit in i32");
  }
  SECTION("BOOL value other than 0 or 1") {
    check(assemble(R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})",
                   std::string("\x01\x07", 2)),
          "tensor 'm': BOOL value 7 at index 1 is neither 0 nor 1");
  }
  SECTION("metadata that is not strings") {
    check(assemble(R"({"__metadata__":{"epoch":3}})", ""),
          "byte 8: '__metadata__' entry 'epoch' is a JSON number, not a string");
  }
}

TEST_CASE("checkTensorsMatch lists every difference in one error", "[io]") {
  std::vector<NamedTensor> model = {
      {"fc1.weight", Tensor({DType::F32, {256, 784}})},
      {"fc1.bias", Tensor({DType::F32, {256}})},
      {"fc3.weight", Tensor({DType::F32, {10, 128}})},
      {"step", Tensor({DType::I32, {}})},
  };
  SafetensorsFile file;
  file.tensors = {{"fc1.weight", Tensor({DType::F32, {128, 3136}})},
                  {"fc1.bias", Tensor({DType::F32, {256}})},
                  {"step", Tensor({DType::F32, {}})},
                  {"conv1.weight", Tensor({DType::F32, {32, 1, 3, 3}})}};
  CHECK_THROWS_WITH(checkTensorsMatch(model, file, "ckpt.safetensors", "cnn"),
                    "ckpt.safetensors: does not match model 'cnn': missing fc3.weight; "
                    "unexpected conv1.weight; 'fc1.weight' has shape [128,3136], model "
                    "expects [256,784]; 'step' has type f32[], model expects i32[]");
  file.tensors = {{"fc1.weight", Tensor({DType::F32, {256, 784}})},
                  {"fc1.bias", Tensor({DType::F32, {256}})},
                  {"fc3.weight", Tensor({DType::F32, {10, 128}})},
                  {"step", Tensor({DType::I32, {}}), true}};
  CHECK_NOTHROW(checkTensorsMatch(model, file, "ckpt.safetensors"));
  file.tensors.pop_back();
  CHECK_THROWS_WITH(checkTensorsMatch(model, file, "c.st"),
                    "c.st: does not match the model: missing step");
}
