// conv2d and its two adjoints, NCHW, with stride, padding, dilation and groups.
//
// Algorithm (per image n and group g, with Cg = C/groups input and Og = O/groups
// output channels, and K = Cg*KH*KW):
//   conv2d:             col = im2col(x[n,g])            [K, HO*WO]
//                       y[n,g] = w[g] * col             [Og, K] x [K, HO*WO]
//   conv2d_input_grad:  col = w[g]^T * dy[n,g]          [K, Og] x [Og, HO*WO]
//                       dx[n,g] = col2im(col)           (scatter-add, the adjoint of im2col)
//   conv2d_filter_grad: dw[g] += dy[n,g] * im2col(x[n,g])^T
// Because col2im is exactly the transpose of im2col, the two backward kernels are the
// exact adjoints of conv2d. A 1x1, stride-1, unpadded convolution skips im2col: the
// column matrix is the input itself.
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/Gemm.h"
#include "kiln/runtime/interp/KernelFamilies.h"
#include "kiln/runtime/interp/WindowRange.h"

#include <algorithm>

namespace kiln::interp {

namespace {

struct Geometry {
  int64_t n, c, h, w; // input
  int64_t o, kh, kw;  // filter
  int64_t ho, wo;     // output
  int64_t cg, og;     // channels per group
  ConvAttrs p;

  int64_t colRows() const { return cg * kh * kw; }
  int64_t colCols() const { return ho * wo; }
  /// The column matrix of a 1x1, stride-1, unpadded convolution is the input plane.
  bool columnsAreInput() const {
    return kh == 1 && kw == 1 && p.stride == std::array<int64_t, 2>{1, 1} &&
           p.padding == std::array<int64_t, 2>{0, 0};
  }
  /// Offsets of image n, group g in x (or dx), w (or dw) and y (or dy).
  int64_t xOffset(int64_t in, int64_t g) const { return (in * c + g * cg) * h * w; }
  int64_t wOffset(int64_t g) const { return g * og * colRows(); }
  int64_t yOffset(int64_t in, int64_t g) const { return (in * o + g * og) * colCols(); }
};

Geometry geometry(const Shape &x, const Shape &w, const Shape &y, const ConvAttrs &p) {
  return {x[0], x[1], x[2], x[3], w[0], w[2], w[3], y[2], y[3], x[1] / p.groups, w[0] / p.groups,
          p};
}

/// Visits every (column-matrix row, output row) pair: body(colRow, inputRow, lo, hi, offW)
/// when the output row reads real input row `inputRow`, where output columns [lo, hi)
/// read input columns ow*stride + offW (the others are padding); padding(colRow) when
/// the whole output row reads padding. colRow and inputRow are element offsets.
template <typename Body, typename Padding>
void forEachColumnRow(const Geometry &g, Body &&body, Padding &&padding) {
  const auto &[sh, sw] = g.p.stride;
  const auto &[ph, pw] = g.p.padding;
  const auto &[dh, dw] = g.p.dilation;
  for (int64_t c = 0; c < g.cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        int64_t row = (c * g.kh + i) * g.kw + j;
        int64_t offW = j * dw - pw;
        auto [lo, hi] = validRange(offW, sw, g.w, g.wo);
        auto [ohLo, ohHi] = validRange(i * dh - ph, sh, g.h, g.ho);
        for (int64_t oh = 0; oh < g.ho; ++oh)
          if (oh < ohLo || oh >= ohHi)
            padding(row * g.colCols() + oh * g.wo);
          else
            body(row * g.colCols() + oh * g.wo, (c * g.h + oh * sh + i * dh - ph) * g.w, lo, hi,
                 offW);
      }
}

/// col[K, HO*WO] = the receptive fields of one image's group `x`. Writes every cell once
/// (zeros for padding), so `col` needs no clearing.
template <typename T> void im2col(const T *x, const Geometry &g, T *col) {
  int64_t sw = g.p.stride[1], wo = g.wo;
  forEachColumnRow(
      g,
      [&](int64_t dst, int64_t src, int64_t lo, int64_t hi, int64_t offW) {
        T *d = col + dst;
        const T *s = x + src; // the input row
        for (int64_t ow = 0; ow < lo; ++ow)
          d[ow] = T(0);
        if (sw == 1)
          for (int64_t ow = lo; ow < hi; ++ow)
            d[ow] = s[ow + offW];
        else
          for (int64_t ow = lo; ow < hi; ++ow)
            d[ow] = s[ow * sw + offW];
        for (int64_t ow = hi; ow < wo; ++ow)
          d[ow] = T(0);
      },
      [&](int64_t dst) { std::fill_n(col + dst, wo, T(0)); });
}

/// dx += the transpose of im2col applied to col (overlapping fields accumulate).
template <typename T> void col2im(const T *col, const Geometry &g, T *dx) {
  int64_t sw = g.p.stride[1];
  forEachColumnRow(
      g,
      [&](int64_t src, int64_t dst, int64_t lo, int64_t hi, int64_t offW) {
        const T *s = col + src;
        for (int64_t ow = lo; ow < hi; ++ow)
          dx[dst + ow * sw + offW] += s[ow];
      },
      [](int64_t) {}); // cells that read padding have nowhere to go
}

template <typename T>
Tensor conv2dTyped(const Tensor &x, const Tensor &w, const Geometry &g, const Type &result) {
  Tensor y = Tensor::uninitialized(result); // every element is a GEMM output
  const T *px = x.data<T>().data(), *pw = w.data<T>().data();
  T *py = y.data<T>().data();
  std::vector<T> col(g.columnsAreInput() ? 0 : g.colRows() * g.colCols());
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t gr = 0; gr < g.p.groups; ++gr) {
      const T *cols = px + g.xOffset(n, gr);
      if (!g.columnsAreInput()) {
        im2col(cols, g, col.data());
        cols = col.data();
      }
      gemm<T>(g.og, g.colCols(), g.colRows(), pw + g.wOffset(gr), false, cols, false,
              py + g.yOffset(n, gr), /*accumulate=*/false);
    }
  return y;
}

template <typename T>
Tensor inputGradTyped(const Tensor &dy, const Tensor &w, const Geometry &g, const Type &result) {
  Tensor dx(result); // zero-filled: col2im accumulates into it
  const T *pdy = dy.data<T>().data(), *pw = w.data<T>().data();
  T *pdx = dx.data<T>().data();
  std::vector<T> col(g.colRows() * g.colCols());
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t gr = 0; gr < g.p.groups; ++gr) {
      T *target = g.columnsAreInput() ? pdx + g.xOffset(n, gr) : col.data();
      gemm<T>(g.colRows(), g.colCols(), g.og, pw + g.wOffset(gr), /*transposeA=*/true,
              pdy + g.yOffset(n, gr), false, target, /*accumulate=*/false);
      if (!g.columnsAreInput())
        col2im(col.data(), g, pdx + g.xOffset(n, gr));
    }
  return dx;
}

template <typename T>
Tensor filterGradTyped(const Tensor &x, const Tensor &dy, const Geometry &g, const Type &result) {
  Tensor dw(result); // zero-filled: every image adds its contribution
  const T *px = x.data<T>().data(), *pdy = dy.data<T>().data();
  T *pdw = dw.data<T>().data();
  std::vector<T> col(g.columnsAreInput() ? 0 : g.colRows() * g.colCols());
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t gr = 0; gr < g.p.groups; ++gr) {
      const T *cols = px + g.xOffset(n, gr);
      if (!g.columnsAreInput()) {
        im2col(cols, g, col.data());
        cols = col.data();
      }
      gemm<T>(g.og, g.colRows(), g.colCols(), pdy + g.yOffset(n, gr), false, cols,
              /*transposeB=*/true, pdw + g.wOffset(gr), /*accumulate=*/true);
    }
  return dw;
}

} // namespace

Tensor conv2dKernel(const Tensor &x, const Tensor &w, const ConvAttrs &p, const Type &result) {
  Geometry g = geometry(x.shape(), w.shape(), result.shape, p);
  return visitFloat(x.dtype(),
                    [&](auto tag) { return conv2dTyped<decltype(tag)>(x, w, g, result); });
}

Tensor conv2dInputGradKernel(const Tensor &dy, const Tensor &w, const ConvAttrs &p,
                             const Type &result) {
  Geometry g = geometry(result.shape, w.shape(), dy.shape(), p);
  return visitFloat(dy.dtype(),
                    [&](auto tag) { return inputGradTyped<decltype(tag)>(dy, w, g, result); });
}

Tensor conv2dFilterGradKernel(const Tensor &x, const Tensor &dy, const ConvAttrs &p,
                              const Type &result) {
  Geometry g = geometry(x.shape(), result.shape, dy.shape(), p);
  return visitFloat(x.dtype(),
                    [&](auto tag) { return filterGradTyped<decltype(tag)>(x, dy, g, result); });
}

} // namespace kiln::interp
