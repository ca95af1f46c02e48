// Layout kernels: reshape, transpose, broadcast, slice, concat, pad and one_hot, on
// every element size (bool 1 byte, f32/i32 4, f64 8).
#include "InterpTestUtil.h"

using namespace kiln;
using namespace kiln::test;

namespace {
std::vector<double> iotaValues(int64_t n, double from = 0) {
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i)
    v.push_back(from + double(i));
  return v;
}

/// Unravels a row-major flat index of `shape`.
std::vector<int64_t> unravel(int64_t flat, const Shape &shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}
int64_t ravel(const std::vector<int64_t> &idx, const Shape &shape) {
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + idx[d];
  return flat;
}
} // namespace

TEST_CASE("reshape copies the elements in order", "[interp]") {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor y = eval(OpKind::Reshape, {x}, {{"shape", ints({3, 1, 2})}});
  checkTensor(y, {3, 1, 2}, {1, 2, 3, 4, 5, 6});
  y.set(0, 42); // the result never aliases its operand
  CHECK(x.at(0) == 1);
  checkTensor(eval(OpKind::Reshape, {i32({1}, {7})}, {{"shape", ints({})}}), {}, {7});
}

TEST_CASE("transpose", "[interp]") {
  SECTION("matrix") {
    checkTensor(
        eval(OpKind::Transpose, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}, {{"perm", ints({1, 0})}}),
        {3, 2}, {1, 4, 2, 5, 3, 6});
  }
  SECTION("rank 4 NCHW to NHWC, every element size") {
    Shape in{2, 3, 17, 1}, out{2, 17, 1, 3};
    std::vector<int64_t> perm{0, 2, 3, 1};
    for (DType dtype : {DType::F32, DType::F64, DType::I32, DType::Bool}) {
      INFO(dtypeName(dtype));
      std::vector<double> values = iotaValues(numElements(in));
      if (dtype == DType::Bool)
        for (double &v : values)
          v = double(int64_t(v) % 3 == 0);
      Tensor x = tensorOf({dtype, in}, values);
      std::vector<double> expected(values.size());
      for (int64_t o = 0; o < numElements(out); ++o) {
        std::vector<int64_t> oi = unravel(o, out), ii(4);
        for (size_t d = 0; d < 4; ++d)
          ii[perm[d]] = oi[d];
        expected[o] = values[ravel(ii, in)];
      }
      checkTensor(eval(OpKind::Transpose, {x}, {{"perm", perm}}), out, expected, 0);
    }
  }
  SECTION("identity permutation and scalar") {
    checkTensor(eval(OpKind::Transpose, {f64({3}, {1, 2, 3})}, {{"perm", ints({0})}}), {3},
                {1, 2, 3});
    checkTensor(eval(OpKind::Transpose, {f64({}, {5})}, {{"perm", ints({})}}), {}, {5});
  }
}

TEST_CASE("broadcast", "[interp]") {
  auto bcast = [](const Tensor &x, std::vector<int64_t> dims, std::vector<int64_t> shape) {
    return eval(OpKind::Broadcast, {x}, {{"dims", dims}, {"shape", shape}});
  };
  SECTION("scalar") {
    checkTensor(bcast(f32({}, {2.5}), {}, {2, 3}), {2, 3}, {2.5, 2.5, 2.5, 2.5, 2.5, 2.5});
  }
  SECTION("a row to every row (bias)") {
    checkTensor(bcast(f32({3}, {1, 2, 3}), {1}, {2, 3}), {2, 3}, {1, 2, 3, 1, 2, 3});
  }
  SECTION("a column to every column") {
    checkTensor(bcast(i32({2}, {1, 2}), {0}, {2, 3}), {2, 3}, {1, 1, 1, 2, 2, 2});
  }
  SECTION("size-1 dimensions expand") {
    checkTensor(bcast(f64({1, 3}, {1, 2, 3}), {0, 1}, {2, 3}), {2, 3}, {1, 2, 3, 1, 2, 3});
    checkTensor(bcast(boolean({2, 1}, {1, 0}), {0, 2}, {2, 2, 3}), {2, 2, 3},
                {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0});
  }
  SECTION("per-channel values over NCHW") {
    Tensor r = bcast(f32({3}, {1, 2, 3}), {1}, {2, 3, 17, 5});
    std::vector<double> expected;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t i = 0; i < 17 * 5; ++i)
          expected.push_back(double(c + 1));
    checkTensor(r, {2, 3, 17, 5}, expected, 0);
  }
}

TEST_CASE("slice", "[interp]") {
  Tensor x = f32({4, 5}, iotaValues(20));
  SECTION("unit stride") {
    checkTensor(eval(OpKind::Slice, {x}, {{"start", ints({1, 2})}, {"limit", ints({3, 5})}}),
                {2, 3}, {7, 8, 9, 12, 13, 14});
  }
  SECTION("strides") {
    checkTensor(eval(OpKind::Slice, {x},
                     {{"start", ints({1, 0})}, {"limit", ints({4, 5})}, {"stride", ints({2, 2})}}),
                {2, 3}, {5, 7, 9, 15, 17, 19});
  }
  SECTION("empty") {
    checkTensor(eval(OpKind::Slice, {x}, {{"start", ints({2, 0})}, {"limit", ints({2, 5})}}),
                {0, 5}, {});
  }
  SECTION("rank 3 with every element size") {
    Shape in{3, 17, 4};
    for (DType dtype : {DType::F64, DType::I32, DType::Bool}) {
      INFO(dtypeName(dtype));
      std::vector<double> values = iotaValues(numElements(in));
      if (dtype == DType::Bool)
        for (double &v : values)
          v = double(int64_t(v) % 2);
      Tensor t = tensorOf({dtype, in}, values);
      std::vector<double> expected;
      for (int64_t i = 1; i < 3; ++i)
        for (int64_t j = 2; j < 17; j += 5)
          for (int64_t k = 0; k < 4; k += 3)
            expected.push_back(values[(i * 17 + j) * 4 + k]);
      checkTensor(eval(OpKind::Slice, {t},
                       {{"start", ints({1, 2, 0})},
                        {"limit", ints({3, 17, 4})},
                        {"stride", ints({1, 5, 3})}}),
                  {2, 3, 2}, expected, 0);
    }
  }
}

TEST_CASE("concat", "[interp]") {
  SECTION("first axis") {
    checkTensor(eval(OpKind::Concat, {f32({1, 2}, {1, 2}), f32({2, 2}, {3, 4, 5, 6})},
                     {{"axis", int64_t(0)}}),
                {3, 2}, {1, 2, 3, 4, 5, 6});
  }
  SECTION("last axis, three parts, one empty") {
    checkTensor(eval(OpKind::Concat,
                     {i32({2, 1}, {1, 2}), i32({2, 0}, {}), i32({2, 3}, {3, 4, 5, 6, 7, 8})},
                     {{"axis", int64_t(1)}}),
                {2, 4}, {1, 3, 4, 5, 2, 6, 7, 8});
  }
  SECTION("middle axis, bool and f64") {
    checkTensor(eval(OpKind::Concat,
                     {boolean({2, 1, 2}, {1, 0, 0, 1}), boolean({2, 1, 2}, {0, 0, 1, 1})},
                     {{"axis", int64_t(1)}}),
                {2, 2, 2}, {1, 0, 0, 0, 0, 1, 1, 1});
    checkTensor(eval(OpKind::Concat, {f64({2, 1, 2}, {1, 2, 3, 4}), f64({2, 1, 2}, {5, 6, 7, 8})},
                     {{"axis", int64_t(1)}}),
                {2, 2, 2}, {1, 2, 5, 6, 3, 4, 7, 8});
  }
  SECTION("a single operand") {
    checkTensor(eval(OpKind::Concat, {f32({3}, {1, 2, 3})}, {{"axis", int64_t(0)}}), {3},
                {1, 2, 3});
  }
}

TEST_CASE("pad", "[interp]") {
  SECTION("low and high with a value") {
    checkTensor(eval(OpKind::Pad, {f32({2, 2}, {1, 2, 3, 4})},
                     {{"low", ints({1, 0})}, {"high", ints({0, 2})}, {"value", 9.0}}),
                {3, 4}, {9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9});
  }
  SECTION("default value zero, rank 3, i32") {
    checkTensor(eval(OpKind::Pad, {i32({1, 1, 2}, {5, 6})},
                     {{"low", ints({0, 1, 1})}, {"high", ints({1, 0, 0})}}),
                {2, 2, 3}, {0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0, 0});
  }
  SECTION("an empty operand gives all padding") {
    checkTensor(eval(OpKind::Pad, {f64({0, 2}, {})},
                     {{"low", ints({1, 0})}, {"high", ints({0, 0})}, {"value", -1.0}}),
                {1, 2}, {-1, -1});
  }
  SECTION("bool padding value") {
    checkTensor(eval(OpKind::Pad, {boolean({1}, {0})},
                     {{"low", ints({1})}, {"high", ints({1})}, {"value", 1.0}}),
                {3}, {1, 0, 1});
  }
}

TEST_CASE("one_hot", "[interp]") {
  auto oneHot = [](const Tensor &idx, int64_t depth, const char *dtype) {
    return eval(OpKind::OneHot, {idx}, {{"depth", depth}, {"dtype", std::string(dtype)}});
  };
  SECTION("out-of-range indices give zero rows") {
    checkTensor(oneHot(i32({4}, {0, 2, 4, -1}), 4, "f32"), {4, 4},
                {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  }
  SECTION("2-D indices, i32, bool and f64") {
    checkTensor(oneHot(i32({2, 1}, {1, 0}), 2, "i32"), {2, 1, 2}, {0, 1, 1, 0});
    checkTensor(oneHot(i32({2}, {1, 0}), 3, "bool"), {2, 3}, {0, 1, 0, 1, 0, 0});
    checkTensor(oneHot(i32({1}, {2}), 3, "f64"), {1, 3}, {0, 0, 1});
  }
  SECTION("scalar index") { checkTensor(oneHot(i32({}, {1}), 2, "f32"), {2}, {0, 1}); }
}
