// Pooling kernels (NCHW): max_pool2d, avg_pool2d and their gradients.
// A window's padded cells never win a max (they are skipped; every window holds at
// least one real cell because padding is at most half the window) and count as zeros in
// the average, whose divisor is the full window area (PyTorch's count_include_pad=True).
// The max gradient goes to the first maximal cell of each window in row-major order,
// and accumulates where windows overlap.
#include "runtime/interp/Dispatch.h"
#include "runtime/interp/KernelFamilies.h"

#include <algorithm>

namespace kiln::interp {

namespace {

struct Window {
  int64_t hLo, hHi, wLo, wHi; // the real cells, clamped to the input
};

/// Calls body(plane, outputIndexInPlane, window) for every output cell, where plane
/// indexes the N*C input planes of h*w cells.
template <typename Body>
void forEachWindow(const Shape &input, const Shape &output, const PoolParams &p, Body &&body) {
  int64_t planes = input[0] * input[1], h = input[2], w = input[3];
  int64_t ho = output[2], wo = output[3];
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oh = 0; oh < ho; ++oh) {
      int64_t h0 = oh * p.stride[0] - p.padding[0];
      for (int64_t ow = 0; ow < wo; ++ow) {
        int64_t w0 = ow * p.stride[1] - p.padding[1];
        body(plane, oh * wo + ow,
             Window{std::max<int64_t>(h0, 0), std::min(h0 + p.window[0], h),
                    std::max<int64_t>(w0, 0), std::min(w0 + p.window[1], w)});
      }
    }
}

/// Offset (within its plane) of the first maximal real cell of the window.
template <typename T> int64_t windowArgmax(const T *plane, int64_t width, const Window &win) {
  int64_t best = win.hLo * width + win.wLo;
  for (int64_t ih = win.hLo; ih < win.hHi; ++ih)
    for (int64_t iw = win.wLo; iw < win.wHi; ++iw)
      if (beatsMax(plane[ih * width + iw], plane[best]))
        best = ih * width + iw;
  return best;
}

int64_t planeSize(const Shape &s) { return s[2] * s[3]; }

} // namespace

Tensor maxPool2dKernel(const Tensor &x, const PoolParams &p, const Type &result) {
  Tensor y(result);
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>().data();
    T *out = y.data<T>().data();
    int64_t inPlane = planeSize(x.shape()), outPlane = planeSize(result.shape);
    forEachWindow(x.shape(), result.shape, p, [&](int64_t plane, int64_t o, const Window &win) {
      const T *src = in + plane * inPlane;
      out[plane * outPlane + o] = src[windowArgmax(src, x.shape()[3], win)];
    });
  });
  return y;
}

Tensor maxPool2dGradKernel(const Tensor &x, const Tensor &dy, const PoolParams &p) {
  Tensor dx(x.type());
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>().data(), *g = dy.data<T>().data();
    T *out = dx.data<T>().data();
    int64_t inPlane = planeSize(x.shape()), outPlane = planeSize(dy.shape());
    forEachWindow(x.shape(), dy.shape(), p, [&](int64_t plane, int64_t o, const Window &win) {
      int64_t at = windowArgmax(in + plane * inPlane, x.shape()[3], win);
      out[plane * inPlane + at] += g[plane * outPlane + o];
    });
  });
  return dx;
}

Tensor avgPool2dKernel(const Tensor &x, const PoolParams &p, const Type &result) {
  Tensor y(result);
  double area = double(p.window[0] * p.window[1]);
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>().data();
    T *out = y.data<T>().data();
    int64_t width = x.shape()[3], inPlane = planeSize(x.shape()),
            outPlane = planeSize(result.shape);
    forEachWindow(x.shape(), result.shape, p, [&](int64_t plane, int64_t o, const Window &win) {
      const T *src = in + plane * inPlane;
      double sum = 0;
      for (int64_t ih = win.hLo; ih < win.hHi; ++ih)
        for (int64_t iw = win.wLo; iw < win.wHi; ++iw)
          sum += src[ih * width + iw];
      out[plane * outPlane + o] = static_cast<T>(sum / area);
    });
  });
  return y;
}

Tensor avgPool2dGradKernel(const Tensor &dy, const PoolParams &p, const Type &result) {
  Tensor dx(result);
  visitFloat(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *g = dy.data<T>().data();
    T *out = dx.data<T>().data();
    T area = static_cast<T>(p.window[0] * p.window[1]);
    int64_t width = result.shape[3], inPlane = planeSize(result.shape),
            outPlane = planeSize(dy.shape());
    forEachWindow(result.shape, dy.shape(), p, [&](int64_t plane, int64_t o, const Window &win) {
      T share = g[plane * outPlane + o] / area;
      T *dst = out + plane * inPlane;
      for (int64_t ih = win.hLo; ih < win.hHi; ++ih)
        for (int64_t iw = win.wLo; iw < win.wHi; ++iw)
          dst[ih * width + iw] += share;
    });
  });
  return dx;
}

} // namespace kiln::interp
