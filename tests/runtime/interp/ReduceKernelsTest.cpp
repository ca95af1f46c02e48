// Reduction kernels: reduce_sum, reduce_mean, reduce_max over any axes, and argmax.
#include "InterpTestUtil.h"

#include <limits>

using namespace kiln;
using namespace kiln::test;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor reduce(OpKind op, const Tensor &x, std::vector<int64_t> axes) {
  return eval(op, {x}, {{"axes", std::move(axes)}});
}
Tensor argmax(const Tensor &x, int64_t axis) { return eval(OpKind::Argmax, {x}, {{"axis", axis}}); }

std::vector<double> iotaValues(int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i)
    v.push_back(i);
  return v;
}
} // namespace

TEST_CASE("reduce_sum", "[interp]") {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  SECTION("first axis") { checkTensor(reduce(OpKind::ReduceSum, x, {0}), {3}, {5, 7, 9}); }
  SECTION("last axis") { checkTensor(reduce(OpKind::ReduceSum, x, {1}), {2}, {6, 15}); }
  SECTION("all axes give a scalar") { checkTensor(reduce(OpKind::ReduceSum, x, {1, 0}), {}, {21}); }
  SECTION("no axes copies") {
    checkTensor(reduce(OpKind::ReduceSum, x, {}), {2, 3}, {1, 2, 3, 4, 5, 6});
  }
  SECTION("outer and inner axes of rank 3") {
    Tensor y = f64({2, 3, 2}, iotaValues(12));
    checkTensor(reduce(OpKind::ReduceSum, y, {0, 2}), {3}, {14, 22, 30});
    checkTensor(reduce(OpKind::ReduceSum, y, {1}), {2, 2}, {6, 9, 24, 27});
  }
  SECTION("i32 wraps around") {
    checkTensor(reduce(OpKind::ReduceSum, i32({3}, {2147483647, 1, 5}), {0}), {}, {-2147483643});
    checkTensor(reduce(OpKind::ReduceSum, i32({2, 2}, {1, -2, 3, -4}), {0}), {2}, {4, -6});
  }
  SECTION("an empty axis sums to zero") {
    checkTensor(reduce(OpKind::ReduceSum, f32({0, 3}, {}), {0}), {3}, {0, 0, 0});
  }
  SECTION("f32 sums accumulate accurately") {
    // 2^24 + 1 + 1 ... in f32 loses every 1 when accumulated in f32.
    std::vector<double> v(17, 1.0);
    v[0] = 16777216.0;
    Tensor r = reduce(OpKind::ReduceSum, f32({17}, v), {0});
    CHECK(r.data<float>()[0] == 16777232.0f);
  }
}

TEST_CASE("reduce_mean divides by the product of the reduced sizes", "[interp]") {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  checkTensor(reduce(OpKind::ReduceMean, x, {1}), {2}, {2, 5});
  checkTensor(reduce(OpKind::ReduceMean, x, {0}), {3}, {2.5, 3.5, 4.5});
  checkTensor(reduce(OpKind::ReduceMean, x, {0, 1}), {}, {3.5});
  checkTensor(reduce(OpKind::ReduceMean, f64({3}, {1, 1, 2}), {0}), {}, {4.0 / 3.0}, 1e-16);
}

TEST_CASE("reduce_max", "[interp]") {
  Tensor x = f32({2, 3}, {1, 7, 3, -4, 5, -6});
  checkTensor(reduce(OpKind::ReduceMax, x, {0}), {3}, {1, 7, 3});
  checkTensor(reduce(OpKind::ReduceMax, x, {1}), {2}, {7, 5});
  checkTensor(reduce(OpKind::ReduceMax, x, {0, 1}), {}, {7});
  SECTION("all negative and -inf") {
    checkTensor(reduce(OpKind::ReduceMax, f64({3}, {-5, -1e300, -3}), {0}), {}, {-3});
  }
  SECTION("NaN propagates") {
    checkTensor(reduce(OpKind::ReduceMax, f32({2, 2}, {1, kNaN, 3, 4}), {1}), {2}, {kNaN, 4});
  }
  SECTION("i32") {
    checkTensor(reduce(OpKind::ReduceMax, i32({2, 2}, {-2147483648.0, -5, 3, 9}), {0}), {2},
                {3, 9});
  }
}

TEST_CASE("reductions over awkward shapes match a naive loop", "[interp]") {
  Tensor x = randomTensor({DType::F64, {3, 17, 5}}, 11);
  for (std::vector<int64_t> axes :
       {ints({0}), ints({1}), ints({2}), ints({0, 2}), ints({1, 2}), ints({0, 1, 2})}) {
    INFO("axes " << shapeStr(axes));
    auto reduced = [&](int64_t d) { return std::find(axes.begin(), axes.end(), d) != axes.end(); };
    Shape outShape;
    for (int64_t d = 0; d < 3; ++d)
      if (!reduced(d))
        outShape.push_back(x.shape()[d]);
    std::vector<double> sum(numElements(outShape), 0.0), mx(numElements(outShape), -1e300);
    double count = 1;
    for (int64_t a : axes)
      count *= double(x.shape()[a]);
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 17; ++j)
        for (int64_t k = 0; k < 5; ++k) {
          int64_t o = 0;
          for (auto [d, idx] : {std::pair{0, i}, std::pair{1, j}, std::pair{2, k}})
            if (!reduced(d))
              o = o * x.shape()[d] + idx;
          double v = x.at((i * 17 + j) * 5 + k);
          sum[o] += v;
          mx[o] = std::max(mx[o], v);
        }
    std::vector<double> mean = sum;
    for (double &m : mean)
      m /= count;
    checkTensor(reduce(OpKind::ReduceSum, x, axes), outShape, sum, 1e-12);
    checkTensor(reduce(OpKind::ReduceMean, x, axes), outShape, mean, 1e-12);
    checkTensor(reduce(OpKind::ReduceMax, x, axes), outShape, mx, 0);
    checkTensor(reduce(OpKind::ReduceSum, x.converted(DType::F32), axes), outShape, sum, 1e-5);
  }
}

TEST_CASE("argmax returns the first maximum as i32", "[interp]") {
  Tensor x = f32({2, 3}, {1, 3, 3, 5, 2, 5});
  SECTION("last axis, ties keep the first") {
    Tensor r = argmax(x, 1);
    CHECK(r.dtype() == DType::I32);
    checkTensor(r, {2}, {1, 0});
  }
  SECTION("first axis") { checkTensor(argmax(x, 0), {3}, {1, 0, 1}); }
  SECTION("middle axis of rank 3") {
    Tensor y = f64({2, 3, 2}, {0, 9, 4, 9, 4, 1, /**/ 7, 7, 7, 8, 7, 9});
    checkTensor(argmax(y, 1), {2, 2}, {1, 0, 0, 2});
  }
  SECTION("NaN counts as the maximum") {
    checkTensor(argmax(f32({4}, {1, kNaN, 5, kNaN}), 0), {}, {1});
  }
  SECTION("i32 and bool") {
    checkTensor(argmax(i32({4}, {-3, -1, -1, -2}), 0), {}, {1});
    checkTensor(argmax(boolean({2, 3}, {0, 0, 0, 0, 1, 1}), 1), {2}, {0, 1});
  }
  SECTION("a single element") { checkTensor(argmax(f32({1, 1}, {4}), 1), {1}, {0}); }
}
