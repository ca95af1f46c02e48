// Source kernels (constant, iota, random_uniform) and the Philox generator behind them.
#include "InterpTestUtil.h"

#include "kiln/runtime/Random.h"

using namespace kiln;
using namespace kiln::test;

TEST_CASE("philox4x32-10 matches the Random123 known-answer vectors", "[interp][random]") {
  using W = std::array<uint32_t, 4>;
  CHECK(philox4x32({0, 0, 0, 0}, {0, 0}) == W{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        W{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        W{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
  // Usable at compile time, so JIT and interpreter can share constants.
  static_assert(philox4x32({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5u);
}

TEST_CASE("uniformFloat keeps the top 24 bits of the first Philox word", "[interp][random]") {
  CHECK(randomBits(0, 0, 0) == 0x6627e8d5u);
  CHECK(uniformFloat(0, 0, 0) == 6694888.0f / 16777216.0f);
  // index, step and seed each move the draw
  CHECK(uniformFloat(0, 0, 1) != uniformFloat(0, 0, 0));
  CHECK(uniformFloat(0, 1, 0) != uniformFloat(0, 0, 0));
  CHECK(uniformFloat(1, 0, 0) != uniformFloat(0, 0, 0));
}

TEST_CASE("constant kernels", "[interp]") {
  SECTION("splat") {
    Tensor t = eval(OpKind::Constant, {},
                    {{"dtype", std::string("f32")}, {"shape", ints({2, 3})}, {"value", 1.5}});
    checkTensor(t, {2, 3}, {1.5, 1.5, 1.5, 1.5, 1.5, 1.5});
  }
  SECTION("f64 scalar keeps full precision") {
    Tensor t = eval(OpKind::Constant, {},
                    {{"dtype", std::string("f64")}, {"shape", ints({})}, {"value", 0.1}});
    REQUIRE(t.dtype() == DType::F64);
    CHECK(t.data<double>()[0] == 0.1);
  }
  SECTION("data list converted to i32 truncates toward zero") {
    Tensor t = eval(OpKind::Constant, {},
                    {{"dtype", std::string("i32")},
                     {"shape", ints({2, 2})},
                     {"data", std::vector<double>{1, -2, 3.7, -3.7}}});
    checkTensor(t, {2, 2}, {1, -2, 3, -3});
  }
  SECTION("data list converted to bool is x != 0") {
    Tensor t = eval(OpKind::Constant, {},
                    {{"dtype", std::string("bool")},
                     {"shape", ints({3})},
                     {"data", std::vector<double>{0, 2, -0.5}}});
    checkTensor(t, {3}, {0, 1, 1});
  }
  SECTION("integer data list") {
    Tensor t =
        eval(OpKind::Constant, {},
             {{"dtype", std::string("f32")}, {"shape", ints({3})}, {"data", ints({4, 5, 6})}});
    checkTensor(t, {3}, {4, 5, 6});
  }
}

TEST_CASE("iota kernels", "[interp]") {
  auto iota = [](const char *dtype, std::vector<int64_t> shape, int64_t axis) {
    return eval(OpKind::Iota, {},
                {{"dtype", std::string(dtype)}, {"shape", shape}, {"axis", axis}});
  };
  SECTION("last axis") { checkTensor(iota("i32", {2, 3}, 1), {2, 3}, {0, 1, 2, 0, 1, 2}); }
  SECTION("first axis") { checkTensor(iota("f32", {2, 3}, 0), {2, 3}, {0, 0, 0, 1, 1, 1}); }
  SECTION("middle axis of rank 3") {
    checkTensor(iota("f64", {2, 3, 2}, 1), {2, 3, 2}, {0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2});
  }
  SECTION("bool") { checkTensor(iota("bool", {3}, 0), {3}, {0, 1, 1}); }
  SECTION("empty") { CHECK(iota("i32", {0, 3}, 1).numElements() == 0); }
}

TEST_CASE("random_uniform draws element i from (seed, counter, i)", "[interp][random]") {
  Attrs attrs{{"seed", int64_t(42)}, {"shape", ints({17, 3})}};
  Tensor a = eval(OpKind::RandomUniform, {i32({}, {7})}, attrs);
  REQUIRE(a.type() == Type{DType::F32, {17, 3}});
  for (int64_t i = 0; i < a.numElements(); ++i)
    REQUIRE(a.data<float>()[i] == uniformFloat(42, 7, static_cast<uint64_t>(i)));

  SECTION("a new counter gives a new draw, the same counter the same draw") {
    Tensor b = eval(OpKind::RandomUniform, {i32({}, {8})}, attrs);
    Tensor c = eval(OpKind::RandomUniform, {i32({}, {7})}, attrs);
    CHECK(valuesOf(b) != valuesOf(a));
    CHECK(valuesOf(c) == valuesOf(a));
  }
  SECTION("values are uniform in [0, 1)") {
    Tensor big = eval(OpKind::RandomUniform, {i32({}, {0})},
                      {{"seed", int64_t(1)}, {"shape", ints({100000})}});
    double sum = 0, lo = 1, hi = 0;
    for (float v : big.data<float>()) {
      sum += v;
      lo = std::min<double>(lo, v);
      hi = std::max<double>(hi, v);
    }
    CHECK(lo >= 0.0);
    CHECK(hi < 1.0);
    CHECK(sum / 100000 == Approx(0.5).margin(0.005));
  }
}

TEST_CASE("Tensor::uninitialized has the type and owns writable storage", "[interp][tensor]") {
  Tensor t = Tensor::uninitialized({DType::F64, {3, 17}});
  CHECK(t.type() == Type{DType::F64, {3, 17}});
  CHECK(t.defined());
  std::span<double> d = t.data<double>();
  std::fill(d.begin(), d.end(), 2.5);
  CHECK(t.at(50) == 2.5);
  CHECK(Tensor::uninitialized({DType::Bool, {0}}).defined());
}
