// libjit's pooling kernels (NCHW) over a range of planes, with the interpreter's exact
// semantics: padded cells never win a max (they are skipped) and count as zeros in the
// average, whose divisor is the whole window; the max gradient goes to the first
// maximal cell of each window in row-major order (NaN beats any number) and accumulates
// where windows overlap; average sums accumulate in double.
#pragma once

#include "codegen/libjit/KernelConfig.h"

#define KILN_INLINE inline __attribute__((always_inline))

namespace kiln::libjit {

struct PoolShape {
  Index h, w, ho, wo, kh, kw, sh, sw, ph, pw;
};

struct Window {
  Index hLo, hHi, wLo, wHi;
};

KILN_INLINE Window window(const PoolShape &s, Index oh, Index ow) {
  Index h0 = oh * s.sh - s.ph, w0 = ow * s.sw - s.pw;
  Index hHi = h0 + s.kh < s.h ? h0 + s.kh : s.h, wHi = w0 + s.kw < s.w ? w0 + s.kw : s.w;
  return {h0 > 0 ? h0 : 0, hHi, w0 > 0 ? w0 : 0, wHi};
}

template <typename T>
KILN_INLINE void maxPool(const T *x, T *y, const PoolShape &s, Index p0, Index p1) {
  for (Index p = p0; p < p1; ++p) {
    const T *in = x + p * s.h * s.w;
    T *out = y + p * s.ho * s.wo;
    for (Index oh = 0; oh < s.ho; ++oh)
      for (Index ow = 0; ow < s.wo; ++ow) {
        Window win = window(s, oh, ow);
        T best = in[win.hLo * s.w + win.wLo];
        for (Index ih = win.hLo; ih < win.hHi; ++ih)
          for (Index iw = win.wLo; iw < win.wHi; ++iw) {
            T v = in[ih * s.w + iw];
            best = (v > best || v != v) ? v : best;
          }
        out[oh * s.wo + ow] = best;
      }
  }
}

template <typename T>
KILN_INLINE void maxPoolGrad(const T *x, const T *dy, T *dx, const PoolShape &s, Index p0,
                             Index p1) {
  for (Index p = p0; p < p1; ++p) {
    const T *in = x + p * s.h * s.w, *g = dy + p * s.ho * s.wo;
    T *out = dx + p * s.h * s.w;
    for (Index i = 0; i < s.h * s.w; ++i)
      out[i] = T(0);
    for (Index oh = 0; oh < s.ho; ++oh)
      for (Index ow = 0; ow < s.wo; ++ow) {
        Window win = window(s, oh, ow);
        Index best = win.hLo * s.w + win.wLo;
        T bestValue = in[best];
        for (Index ih = win.hLo; ih < win.hHi; ++ih)
          for (Index iw = win.wLo; iw < win.wHi; ++iw) {
            Index at = ih * s.w + iw;
            T v = in[at];
            bool wins = v > bestValue || (v != v && bestValue == bestValue);
            bestValue = wins ? v : bestValue;
            best = wins ? at : best;
          }
        out[best] += g[oh * s.wo + ow];
      }
  }
}

template <typename T>
KILN_INLINE void avgPool(const T *x, T *y, const PoolShape &s, Index p0, Index p1) {
  double area = double(s.kh * s.kw);
  for (Index p = p0; p < p1; ++p) {
    const T *in = x + p * s.h * s.w;
    T *out = y + p * s.ho * s.wo;
    for (Index oh = 0; oh < s.ho; ++oh)
      for (Index ow = 0; ow < s.wo; ++ow) {
        Window win = window(s, oh, ow);
        double sum = 0;
        for (Index ih = win.hLo; ih < win.hHi; ++ih)
          for (Index iw = win.wLo; iw < win.wHi; ++iw)
            sum += in[ih * s.w + iw];
        out[oh * s.wo + ow] = T(sum / area);
      }
  }
}

template <typename T>
KILN_INLINE void avgPoolGrad(const T *dy, T *dx, const PoolShape &s, Index p0, Index p1) {
  T area = T(s.kh * s.kw);
  for (Index p = p0; p < p1; ++p) {
    const T *g = dy + p * s.ho * s.wo;
    T *out = dx + p * s.h * s.w;
    for (Index i = 0; i < s.h * s.w; ++i)
      out[i] = T(0);
    for (Index oh = 0; oh < s.ho; ++oh)
      for (Index ow = 0; ow < s.wo; ++ow) {
        Window win = window(s, oh, ow);
        T share = g[oh * s.wo + ow] / area;
        for (Index ih = win.hLo; ih < win.hHi; ++ih)
          for (Index iw = win.wLo; iw < win.wHi; ++iw)
            out[ih * s.w + iw] += share;
      }
  }
}

} // namespace kiln::libjit
