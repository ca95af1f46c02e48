// conv2d and its two backward kernels: hand-computed cases, a naive direct convolution
// on awkward shapes, and the adjoint identities that make the backward ops exact.
#include "InterpTestUtil.h"

using namespace kiln;
using namespace kiln::test;

namespace {
struct Conv {
  int64_t n, c, h, w, o, kh, kw;
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;

  Attrs attrs() const {
    return {{"stride", ints({sh, sw})},
            {"padding", ints({ph, pw})},
            {"dilation", ints({dh, dw})},
            {"groups", groups}};
  }
  Shape xShape() const { return {n, c, h, w}; }
  Shape wShape() const { return {o, c / groups, kh, kw}; }
  int64_t ho() const { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  int64_t wo() const { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
  Shape yShape() const { return {n, o, ho(), wo()}; }
};

std::ostream &operator<<(std::ostream &os, const Conv &c) {
  return os << "x " << shapeStr(c.xShape()) << " w " << shapeStr(c.wShape()) << " stride " << c.sh
            << "," << c.sw << " padding " << c.ph << "," << c.pw << " dilation " << c.dh << ","
            << c.dw << " groups " << c.groups;
}

Tensor conv(const Tensor &x, const Tensor &w, const Attrs &attrs) {
  return eval(OpKind::Conv2d, {x, w}, attrs);
}
Tensor inputGrad(const Tensor &dy, const Tensor &w, Attrs attrs, int64_t h, int64_t wd) {
  attrs.set("input_size", ints({h, wd}));
  return eval(OpKind::Conv2dInputGrad, {dy, w}, attrs);
}
Tensor filterGrad(const Tensor &x, const Tensor &dy, Attrs attrs, int64_t kh, int64_t kw) {
  attrs.set("kernel", ints({kh, kw}));
  return eval(OpKind::Conv2dFilterGrad, {x, dy}, attrs);
}

/// The definition: y[n,o,i,j] = sum_{c,a,b} x[n, g*Cg + c, i*s - p + a*d, ...] w[o,c,a,b].
std::vector<double> naiveConv(const Conv &p, const Tensor &x, const Tensor &w) {
  int64_t cg = p.c / p.groups, og = p.o / p.groups;
  std::vector<double> y;
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t o = 0; o < p.o; ++o)
      for (int64_t i = 0; i < p.ho(); ++i)
        for (int64_t j = 0; j < p.wo(); ++j) {
          double s = 0;
          int64_t g = o / og;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t a = 0; a < p.kh; ++a)
              for (int64_t b = 0; b < p.kw; ++b) {
                int64_t ih = i * p.sh - p.ph + a * p.dh, iw = j * p.sw - p.pw + b * p.dw;
                if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w)
                  continue;
                s += x.at(((n * p.c + g * cg + c) * p.h + ih) * p.w + iw) *
                     w.at(((o * cg + c) * p.kh + a) * p.kw + b);
              }
          y.push_back(s);
        }
  return y;
}

std::vector<Conv> awkwardConvs() {
  return {
      {1, 1, 3, 3, 1, 1, 1},
      {2, 3, 17, 5, 4, 3, 3},
      {2, 3, 17, 5, 4, 3, 3, 2, 1, 1, 1},
      {1, 2, 9, 11, 3, 3, 2, 2, 3, 1, 0, 2, 1},
      {2, 4, 7, 8, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2},
      {1, 6, 5, 5, 3, 1, 1, 1, 1, 0, 0, 1, 1, 3},
      {3, 2, 6, 6, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2},
      {1, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1},
      {2, 4, 5, 6, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1},
      {1, 3, 4, 4, 2, 4, 4, 1, 1, 1, 1},
      {1, 2, 3, 4, 2, 2, 2, 2, 1, 3, 2}, // windows that lie entirely in the padding
  };
}
} // namespace

TEST_CASE("conv2d by hand", "[interp]") {
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  SECTION("valid") { checkTensor(conv(x, w, {}), {1, 1, 2, 2}, {37, 47, 67, 77}); }
  SECTION("stride 2, padding 1") {
    checkTensor(conv(x, w, {{"stride", ints({2, 2})}, {"padding", ints({1, 1})}}), {1, 1, 2, 2},
                {4, 18, 36, 77});
  }
  SECTION("dilation 2") {
    checkTensor(conv(x, w, {{"dilation", ints({2, 2})}}), {1, 1, 1, 1}, {64});
  }
  SECTION("groups, 1x1") {
    Tensor x2 = f64({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    checkTensor(conv(x2, f64({2, 1, 1, 1}, {2, -1}), {{"groups", int64_t(2)}}), {1, 2, 2, 2},
                {2, 4, 6, 8, -5, -6, -7, -8});
  }
  SECTION("groups, 2x2") {
    Tensor x2 = f32({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    checkTensor(conv(x2, f32({2, 1, 2, 2}, {1, 1, 1, 1, 1, 0, 0, 0}), {{"groups", int64_t(2)}}),
                {1, 2, 1, 1}, {10, 5});
  }
  SECTION("input gradient scatters each dy through the window") {
    checkTensor(inputGrad(f32({1, 1, 2, 2}, {1, 1, 1, 1}), w, {}, 3, 3), {1, 1, 3, 3},
                {1, 3, 2, 4, 10, 6, 3, 7, 4});
  }
  SECTION("filter gradient sums the receptive fields") {
    checkTensor(filterGrad(x, f32({1, 1, 2, 2}, {1, 1, 1, 1}), {}, 2, 2), {1, 1, 2, 2},
                {12, 16, 24, 28});
  }
  SECTION("padded input gradient drops the padding") {
    // stride 2, padding 1: each output reads the cells listed in the "stride 2" case.
    Attrs a{{"stride", ints({2, 2})}, {"padding", ints({1, 1})}};
    checkTensor(inputGrad(f32({1, 1, 2, 2}, {1, 10, 100, 1000}), w, a, 3, 3), {1, 1, 3, 3},
                {4, 30, 40, 200, 1000, 2000, 400, 3000, 4000});
  }
}

TEST_CASE("conv2d matches a direct convolution on awkward shapes", "[interp]") {
  for (const Conv &p : awkwardConvs())
    for (DType dtype : {DType::F64, DType::F32}) {
      INFO(p << " " << dtypeName(dtype));
      Tensor x = randomTensor({dtype, p.xShape()}, 5), w = randomTensor({dtype, p.wShape()}, 6);
      checkTensor(conv(x, w, p.attrs()), p.yShape(), naiveConv(p, x, w),
                  dtype == DType::F64 ? 1e-12 : 1e-5);
    }
}

TEST_CASE("conv2d backward kernels are the exact adjoints of conv2d", "[interp]") {
  // <conv(x, w), dy> == <x, conv_input_grad(dy, w)> == <w, conv_filter_grad(x, dy)>
  for (const Conv &p : awkwardConvs())
    for (DType dtype : {DType::F64, DType::F32}) {
      INFO(p << " " << dtypeName(dtype));
      Tensor x = randomTensor({dtype, p.xShape()}, 7), w = randomTensor({dtype, p.wShape()}, 8);
      Tensor dy = randomTensor({dtype, p.yShape()}, 9);
      Tensor dx = inputGrad(dy, w, p.attrs(), p.h, p.w);
      Tensor dw = filterGrad(x, dy, p.attrs(), p.kh, p.kw);
      double forward = dot(conv(x, w, p.attrs()), dy);
      double tol = dtype == DType::F64 ? 1e-10 : 1e-4;
      CHECK(dot(x, dx) == Approx(forward).epsilon(tol).margin(tol));
      CHECK(dot(w, dw) == Approx(forward).epsilon(tol).margin(tol));
    }
}

TEST_CASE("conv2d backward kernels match the derivative of the naive convolution", "[interp]") {
  // Each output of the naive definition is linear in x and w, so one-hot dy picks out
  // a single output whose derivative is readable from naiveConv with unit inputs.
  Conv p{1, 2, 5, 4, 2, 3, 2, 2, 1, 1, 1, 1, 2, 2};
  Tensor x = randomTensor({DType::F64, p.xShape()}, 3),
         w = randomTensor({DType::F64, p.wShape()}, 4);
  for (int64_t out = 0; out < numElements(p.yShape()); ++out) {
    INFO("output " << out);
    Tensor dy(Type{DType::F64, p.yShape()});
    dy.set(out, 1.0);
    Tensor dx = inputGrad(dy, w, p.attrs(), p.h, p.w);
    Tensor dw = filterGrad(x, dy, p.attrs(), p.kh, p.kw);
    std::vector<double> expectDx, expectDw;
    for (int64_t i = 0; i < x.numElements(); ++i) {
      Tensor unit(x.type());
      unit.set(i, 1.0);
      expectDx.push_back(naiveConv(p, unit, w)[out]);
    }
    for (int64_t i = 0; i < w.numElements(); ++i) {
      Tensor unit(w.type());
      unit.set(i, 1.0);
      expectDw.push_back(naiveConv(p, x, unit)[out]);
    }
    checkTensor(dx, p.xShape(), expectDx, 1e-14);
    checkTensor(dw, p.wShape(), expectDw, 1e-14);
  }
}
