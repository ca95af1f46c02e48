// Pooling kernels (NCHW): max_pool2d, avg_pool2d and their gradients.
// A window's padded cells never win a max (they are skipped; every window holds at
// least one real cell because padding is at most half the window) and count as zeros in
// the average, whose divisor is the full window area (PyTorch's count_include_pad=True).
// The max gradient goes to the first maximal cell of each window in row-major order,
// and accumulates where windows overlap.
//
// Kernels work one output row at a time: for each window row and column offset, one
// inner loop runs over all output columns whose cell is real (validRange), so the inner
// loops carry no dependency from one output to the next and vectorize. The max gradient
// takes two steps per row: the window maxima that way, then per window the first cell
// (row-major) equal to its maximum, found without branches.
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/KernelFamilies.h"
#include "kiln/runtime/interp/WindowRange.h"

#include <limits>

namespace kiln::interp {

namespace {

struct PoolGeometry {
  int64_t planes, h, w, ho, wo; // planes = N*C
  WindowAttrs p;
  /// columns[j]: the output columns [lo, hi) whose window column j is a real cell
  /// (the same for every row, so computed once).
  std::vector<std::pair<int64_t, int64_t>> columns;
};

PoolGeometry geometry(const Shape &input, const Shape &output, const WindowAttrs &p) {
  PoolGeometry g{input[0] * input[1], input[2], input[3], output[2], output[3], p, {}};
  for (int64_t j = 0; j < p.window[1]; ++j)
    g.columns.push_back(validRange(j - p.padding[1], p.stride[1], g.w, g.wo));
  return g;
}

/// For output row `oh` of a plane, calls cell(ow, offset) for every real cell of every
/// window of the row, `offset` being the cell's index within the input plane. Each
/// window sees its cells in row-major order.
template <typename Cell> void forEachCellOfRow(const PoolGeometry &g, int64_t oh, Cell &&cell) {
  int64_t h0 = oh * g.p.stride[0] - g.p.padding[0];
  int64_t sw = g.p.stride[1];
  for (int64_t ih = std::max<int64_t>(h0, 0); ih < std::min(h0 + g.p.window[0], g.h); ++ih)
    for (int64_t j = 0; j < g.p.window[1]; ++j) {
      int64_t offset = j - g.p.padding[1]; // input column = ow * sw + offset
      auto [lo, hi] = g.columns[j];
      int64_t base = ih * g.w + offset;
      for (int64_t ow = lo; ow < hi; ++ow)
        cell(ow, base + ow * sw);
    }
}

/// row[ow] = the maximum of window (oh, ow): -inf loses to (or ties with) any real
/// cell, and a NaN, once in, stays.
template <typename T> void rowMax(const PoolGeometry &g, const T *plane, int64_t oh, T *row) {
  std::fill_n(row, g.wo, -std::numeric_limits<T>::infinity());
  forEachCellOfRow(g, oh, [&](int64_t ow, int64_t at) {
    T v = plane[at];
    row[ow] = ((v > row[ow]) | (v != v)) ? v : row[ow];
  });
}

/// The offset in `plane` of the first cell of rows [hLo, hHi) and columns [wLo, wHi), in
/// row-major order, that equals the window's maximum `m` (NaN matching NaN). Scanning
/// backwards and keeping the last match leaves no dependency between the comparisons,
/// and the mask arithmetic keeps compilers from turning the update into a branch
/// (which would mispredict on about every other window of real activations).
template <typename T>
int64_t firstMatch(const T *plane, int64_t width, int64_t hLo, int64_t hHi, int64_t wLo,
                   int64_t wHi, T m) {
  int64_t found = hLo * width + wLo;
  for (int64_t ih = hHi; ih-- > hLo;)
    for (int64_t iw = wHi; iw-- > wLo;) {
      int64_t at = ih * width + iw;
      T v = plane[at];
      bool match = (v == m) | ((v != v) & (m != m));
      found += (at - found) & -int64_t(match);
    }
  return found;
}

} // namespace

Tensor maxPool2dKernel(const Tensor &x, const WindowAttrs &p, const Type &result) {
  Tensor y = Tensor::uninitialized(result);
  PoolGeometry g = geometry(x.shape(), result.shape, p);
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>().data();
    T *out = y.data<T>().data();
    for (int64_t plane = 0; plane < g.planes; ++plane)
      for (int64_t oh = 0; oh < g.ho; ++oh)
        rowMax(g, in + plane * g.h * g.w, oh, out + (plane * g.ho + oh) * g.wo);
  });
  return y;
}

Tensor maxPool2dGradKernel(const Tensor &x, const Tensor &dy, const WindowAttrs &p) {
  Tensor dx(x.type()); // zero-filled: windows add into it
  PoolGeometry g = geometry(x.shape(), dy.shape(), p);
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>().data(), *grad = dy.data<T>().data();
    T *out = dx.data<T>().data();
    // Per output row: the window maxima in one vectorizable pass, then each window
    // adds its dy at the first cell holding its maximum.
    std::vector<T> maxima(g.wo);
    for (int64_t plane = 0; plane < g.planes; ++plane) {
      const T *src = in + plane * g.h * g.w;
      const T *gradPlane = grad + plane * g.ho * g.wo;
      T *target = out + plane * g.h * g.w;
      for (int64_t oh = 0; oh < g.ho; ++oh) {
        rowMax(g, src, oh, maxima.data());
        int64_t h0 = oh * g.p.stride[0] - g.p.padding[0];
        int64_t hLo = std::max<int64_t>(h0, 0), hHi = std::min(h0 + g.p.window[0], g.h);
        for (int64_t ow = 0; ow < g.wo; ++ow) {
          int64_t w0 = ow * g.p.stride[1] - g.p.padding[1];
          int64_t wLo = std::max<int64_t>(w0, 0), wHi = std::min(w0 + g.p.window[1], g.w);
          target[firstMatch(src, g.w, hLo, hHi, wLo, wHi, maxima[ow])] += gradPlane[oh * g.wo + ow];
        }
      }
    }
  });
  return dx;
}

Tensor avgPool2dKernel(const Tensor &x, const WindowAttrs &p, const Type &result) {
  Tensor y = Tensor::uninitialized(result);
  PoolGeometry g = geometry(x.shape(), result.shape, p);
  double area = double(p.window[0] * p.window[1]);
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>().data();
    T *out = y.data<T>().data();
    std::vector<double> sum(g.wo);
    for (int64_t plane = 0; plane < g.planes; ++plane)
      for (int64_t oh = 0; oh < g.ho; ++oh) {
        const T *src = in + plane * g.h * g.w;
        std::fill(sum.begin(), sum.end(), 0.0);
        forEachCellOfRow(g, oh, [&](int64_t ow, int64_t at) { sum[ow] += src[at]; });
        T *row = out + (plane * g.ho + oh) * g.wo;
        for (int64_t ow = 0; ow < g.wo; ++ow)
          row[ow] = static_cast<T>(sum[ow] / area);
      }
  });
  return y;
}

Tensor avgPool2dGradKernel(const Tensor &dy, const WindowAttrs &p, const Type &result) {
  Tensor dx(result); // zero-filled: windows add into it
  PoolGeometry g = geometry(result.shape, dy.shape(), p);
  visitFloat(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *grad = dy.data<T>().data();
    T *out = dx.data<T>().data();
    T area = static_cast<T>(p.window[0] * p.window[1]);
    std::vector<T> share(g.wo);
    for (int64_t plane = 0; plane < g.planes; ++plane)
      for (int64_t oh = 0; oh < g.ho; ++oh) {
        const T *gradRow = grad + (plane * g.ho + oh) * g.wo;
        for (int64_t ow = 0; ow < g.wo; ++ow)
          share[ow] = gradRow[ow] / area;
        T *target = out + plane * g.h * g.w;
        forEachCellOfRow(g, oh, [&](int64_t ow, int64_t at) { target[at] += share[ow]; });
      }
  });
  return dx;
}

} // namespace kiln::interp
