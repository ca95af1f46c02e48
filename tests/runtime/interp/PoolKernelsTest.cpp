// Pooling kernels: max and average pooling and their gradients, with padding and
// overlapping windows.
#include "InterpTestUtil.h"

#include <limits>

using namespace kiln;
using namespace kiln::test;

namespace {
Attrs pool(int64_t window, int64_t stride, int64_t padding) {
  return {{"window", ints({window, window})},
          {"stride", ints({stride, stride})},
          {"padding", ints({padding, padding})}};
}

std::vector<double> range(int lo, int hi, int sign = 1) {
  std::vector<double> v;
  for (int i = lo; i <= hi; ++i)
    v.push_back(sign * i);
  return v;
}

struct Pool {
  int64_t n, c, h, w, kh, kw, sh, sw, ph, pw;
  Attrs attrs() const {
    return {{"window", ints({kh, kw})}, {"stride", ints({sh, sw})}, {"padding", ints({ph, pw})}};
  }
  int64_t ho() const { return (h + 2 * ph - kh) / sh + 1; }
  int64_t wo() const { return (w + 2 * pw - kw) / sw + 1; }
};

/// Naive pooling by definition: the max of the real cells, or their sum over the area.
std::vector<double> naivePool(const Pool &p, const Tensor &x, bool max) {
  std::vector<double> y;
  for (int64_t plane = 0; plane < p.n * p.c; ++plane)
    for (int64_t i = 0; i < p.ho(); ++i)
      for (int64_t j = 0; j < p.wo(); ++j) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int64_t a = 0; a < p.kh; ++a)
          for (int64_t b = 0; b < p.kw; ++b) {
            int64_t ih = i * p.sh - p.ph + a, iw = j * p.sw - p.pw + b;
            if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w)
              continue;
            double v = x.at((plane * p.h + ih) * p.w + iw);
            best = std::max(best, v);
            sum += v;
          }
        y.push_back(max ? best : sum / double(p.kh * p.kw));
      }
  return y;
}
} // namespace

TEST_CASE("max_pool2d", "[interp]") {
  SECTION("non-overlapping") {
    checkTensor(eval(OpKind::MaxPool2d, {f32({1, 1, 4, 4}, range(1, 16))}, pool(2, 2, 0)),
                {1, 1, 2, 2}, {6, 8, 14, 16});
  }
  SECTION("padded cells never win, even over negative values") {
    checkTensor(eval(OpKind::MaxPool2d, {f32({1, 1, 4, 4}, range(1, 16, -1))}, pool(3, 2, 1)),
                {1, 1, 2, 2}, {-1, -2, -5, -6});
  }
  SECTION("NaN wins") {
    double nan = std::numeric_limits<double>::quiet_NaN();
    checkTensor(eval(OpKind::MaxPool2d, {f64({1, 1, 1, 2}, {1, nan})}, {{"window", ints({1, 2})}}),
                {1, 1, 1, 1}, {nan});
  }
  SECTION("matches the definition on awkward shapes") {
    for (Pool p : {Pool{2, 3, 17, 5, 3, 2, 2, 1, 1, 1}, Pool{1, 1, 1, 3, 1, 3, 1, 1, 0, 1},
                   Pool{3, 2, 7, 9, 2, 4, 1, 3, 1, 2}}) {
      INFO("x [" << p.n << "," << p.c << "," << p.h << "," << p.w << "] window " << p.kh << ","
                 << p.kw);
      Tensor x = randomTensor({DType::F64, {p.n, p.c, p.h, p.w}}, 21);
      checkTensor(eval(OpKind::MaxPool2d, {x}, p.attrs()), {p.n, p.c, p.ho(), p.wo()},
                  naivePool(p, x, true), 0);
      checkTensor(eval(OpKind::MaxPool2d, {x.converted(DType::F32)}, p.attrs()),
                  {p.n, p.c, p.ho(), p.wo()}, naivePool(p, x, true), 1e-7);
    }
  }
}

TEST_CASE("max_pool2d_grad routes dy to the first maximum", "[interp]") {
  SECTION("padding") {
    Tensor x = f32({1, 1, 4, 4}, range(1, 16, -1));
    checkTensor(eval(OpKind::MaxPool2dGrad, {x, f32({1, 1, 2, 2}, {1, 2, 3, 4})}, pool(3, 2, 1)),
                {1, 1, 4, 4}, {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  }
  SECTION("overlapping windows accumulate") {
    Tensor x = f64({1, 1, 3, 3}, {1, 2, 3, 4, 9, 5, 6, 7, 8});
    checkTensor(eval(OpKind::MaxPool2dGrad, {x, f64({1, 1, 2, 2}, {1, 2, 3, 4})}, pool(2, 1, 0)),
                {1, 1, 3, 3}, {0, 0, 0, 0, 10, 0, 0, 0, 0});
  }
  SECTION("ties go to the first cell of each window") {
    Tensor x = f32({1, 1, 2, 3}, {5, 5, 5, 5, 5, 5});
    checkTensor(eval(OpKind::MaxPool2dGrad, {x, f32({1, 1, 2, 2}, {1, 2, 3, 4})},
                     {{"window", ints({1, 2})}, {"stride", ints({1, 1})}}),
                {1, 1, 2, 3}, {1, 2, 0, 3, 4, 0});
  }
  SECTION("is the derivative: <dy, max_pool(x)> == <max_pool_grad(x, dy), x>") {
    Pool p{2, 3, 9, 7, 3, 3, 2, 2, 1, 1};
    Tensor x = randomTensor({DType::F64, {p.n, p.c, p.h, p.w}}, 31);
    Tensor dy = randomTensor({DType::F64, {p.n, p.c, p.ho(), p.wo()}}, 32);
    Tensor dx = eval(OpKind::MaxPool2dGrad, {x, dy}, p.attrs());
    CHECK(dot(dx, x) == Approx(dot(dy, eval(OpKind::MaxPool2d, {x}, p.attrs()))).epsilon(1e-12));
  }
}

TEST_CASE("avg_pool2d counts padded cells in the divisor", "[interp]") {
  SECTION("non-overlapping") {
    checkTensor(eval(OpKind::AvgPool2d, {f32({1, 1, 4, 4}, range(1, 16))}, pool(2, 2, 0)),
                {1, 1, 2, 2}, {3.5, 5.5, 11.5, 13.5});
  }
  SECTION("padding") {
    checkTensor(eval(OpKind::AvgPool2d, {f64({1, 1, 4, 4}, range(1, 16))}, pool(3, 2, 1)),
                {1, 1, 2, 2}, {14.0 / 9, 30.0 / 9, 57.0 / 9, 11}, 1e-15);
  }
  SECTION("matches the definition on awkward shapes") {
    Pool p{2, 3, 17, 5, 3, 2, 2, 1, 1, 1};
    Tensor x = randomTensor({DType::F32, {p.n, p.c, p.h, p.w}}, 22);
    checkTensor(eval(OpKind::AvgPool2d, {x}, p.attrs()), {p.n, p.c, p.ho(), p.wo()},
                naivePool(p, x, false), 1e-6);
  }
}

TEST_CASE("avg_pool2d_grad spreads dy over the window area", "[interp]") {
  SECTION("padding and overlap") {
    Attrs a = pool(3, 2, 1);
    a.set("input_size", ints({4, 4}));
    checkTensor(eval(OpKind::AvgPool2dGrad, {f32({1, 1, 2, 2}, {9, 18, 27, 36})}, a), {1, 1, 4, 4},
                {1, 3, 2, 2, 4, 10, 6, 6, 3, 7, 4, 4, 3, 7, 4, 4});
  }
  SECTION("is the adjoint of avg_pool2d") {
    Pool p{2, 2, 17, 6, 3, 3, 2, 1, 1, 1};
    Attrs a = p.attrs();
    a.set("input_size", ints({p.h, p.w}));
    Tensor x = randomTensor({DType::F64, {p.n, p.c, p.h, p.w}}, 41);
    Tensor dy = randomTensor({DType::F64, {p.n, p.c, p.ho(), p.wo()}}, 42);
    Tensor dx = eval(OpKind::AvgPool2dGrad, {dy}, a);
    CHECK(dot(dx, x) == Approx(dot(dy, eval(OpKind::AvgPool2d, {x}, p.attrs()))).epsilon(1e-12));
  }
}
