// libjit's pooling kernels (NCHW) over a range of planes, with the interpreter's exact
// semantics (windows inside the input take a path with constant bounds, which unrolls
// after specialization): padded cells never win a max (they are skipped) and count as zeros in the
// average, whose divisor is the whole window; the max gradient goes to the first
// maximal cell of each window in row-major order (NaN beats any number) and accumulates
// where windows overlap; average sums accumulate in double.
#pragma once

#include "kiln/codegen/libjit/KernelConfig.h"

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

/// The output columns whose window lies inside the input: [lo, hi).
struct Inside {
  Index lo, hi;
};
KILN_INLINE Inside insideColumns(const PoolShape &s) {
  Index lo = (s.pw + s.sw - 1) / s.sw;
  Index last = s.w - s.kw + s.pw; // w0 + kw <= w  <=>  ow * sw <= last
  Index hi = last < 0 ? 0 : last / s.sw + 1;
  hi = hi < s.wo ? hi : s.wo;
  return {lo < hi ? lo : hi, hi};
}

/// Whether the window of row oh lies inside the input vertically.
KILN_INLINE bool insideRow(const PoolShape &s, Index oh) {
  Index h0 = oh * s.sh - s.ph;
  return h0 >= 0 && h0 + s.kh <= s.h;
}

/// "v beats best" for first-maximum searches: greater, or NaN over a number. Written
/// with non-short-circuit operators so it compiles to selects, not branches.
/// __builtin_unpredictable keeps the selects it feeds as selects: comparisons of
/// activations are coin flips, and x86 code generation would otherwise branch on them.
template <typename T> KILN_INLINE bool beats(T v, T best) {
  return __builtin_unpredictable((v > best) | ((v != v) & (best == best)));
}

template <typename T> KILN_INLINE T windowMax(const T *in, const PoolShape &s, const Window &win) {
  T best = in[win.hLo * s.w + win.wLo];
  for (Index ih = win.hLo; ih < win.hHi; ++ih)
    for (Index iw = win.wLo; iw < win.wHi; ++iw) {
      T v = in[ih * s.w + iw];
      best = __builtin_unpredictable((v > best) | (v != v)) ? v : best;
    }
  return best;
}

/// The offset of the first maximal cell of a window inside the input: kh x kw are
/// constants after specialization, so the loops unroll.
template <typename T>
KILN_INLINE Index insideArgmax(const T *in, const PoolShape &s, Index h0, Index w0) {
  Index best = h0 * s.w + w0;
  T bestValue = in[best];
  for (Index i = 0; i < s.kh; ++i)
    for (Index j = 0; j < s.kw; ++j) {
      Index at = (h0 + i) * s.w + w0 + j;
      T v = in[at];
      bool wins = beats(v, bestValue);
      bestValue = wins ? v : bestValue;
      best = wins ? at : best;
    }
  return best;
}

template <typename T>
KILN_INLINE Index windowArgmax(const T *in, const PoolShape &s, const Window &win) {
  Index best = win.hLo * s.w + win.wLo;
  T bestValue = in[best];
  for (Index ih = win.hLo; ih < win.hHi; ++ih)
    for (Index iw = win.wLo; iw < win.wHi; ++iw) {
      Index at = ih * s.w + iw;
      T v = in[at];
      bool wins = beats(v, bestValue);
      bestValue = wins ? v : bestValue;
      best = wins ? at : best;
    }
  return best;
}

/// N adjacent 2x2 windows of two input rows, as four vectors: a and b the left and
/// right cells of the top row, c and d of the bottom row.
template <typename T, int N> struct Windows2x2 {
  typedef T V __attribute__((ext_vector_type(N)));
  V a, b, c, d;
  KILN_INLINE Windows2x2(const T *r0, const T *r1) {
    typedef T W __attribute__((ext_vector_type(2 * N)));
    W top, bottom;
    __builtin_memcpy(&top, r0, sizeof(W));
    __builtin_memcpy(&bottom, r1, sizeof(W));
    for (int i = 0; i < N; ++i) {
      a[i] = top[2 * i];
      b[i] = top[2 * i + 1];
      c[i] = bottom[2 * i];
      d[i] = bottom[2 * i + 1];
    }
  }
};

/// N windows of one output row of the 2x2, stride-2 case, with vector selects: the
/// scalar scan's result (row-major order; a NaN wins over everything before it).
template <typename T, int N> KILN_INLINE void maxPool2x2Block(const T *r0, const T *r1, T *out) {
  Windows2x2<T, N> in(r0, r1);
  const auto &b = in.b, &c = in.c, &d = in.d;
  auto best = in.a;
  best = ((b > best) | (b != b)) ? b : best;
  best = ((c > best) | (c != c)) ? c : best;
  best = ((d > best) | (d != d)) ? d : best;
  __builtin_memcpy(out, &best, sizeof(best));
}

/// One plane of the 2x2, stride-2 case without padding (most CNNs), 8 or 4 windows at
/// a time: the scalar scan is a chain of selects per window and runs at a tenth of
/// memory speed. The last 1-3 windows of a row stay scalar: 2- and 1-wide vectors ran
/// slower than the scalar selects (7x7 planes: 4.1 against 2.5 us per 256).
template <typename T> KILN_INLINE void maxPool2x2(const T *in, T *out, const PoolShape &s) {
  for (Index oh = 0; oh < s.ho; ++oh) {
    const T *r0 = in + 2 * oh * s.w, *r1 = r0 + s.w;
    T *row = out + oh * s.wo;
    Index ow = 0;
    for (; ow + 8 <= s.wo; ow += 8)
      maxPool2x2Block<T, 8>(r0 + 2 * ow, r1 + 2 * ow, row + ow);
    for (; ow + 4 <= s.wo; ow += 4)
      maxPool2x2Block<T, 4>(r0 + 2 * ow, r1 + 2 * ow, row + ow);
    for (; ow < s.wo; ++ow) {
      const T *at = r0 + 2 * ow;
      T best = at[0];
      for (Index i = 0; i < 2; ++i)
        for (Index j = 0; j < 2; ++j) {
          T v = at[i * s.w + j];
          best = __builtin_unpredictable((v > best) | (v != v)) ? v : best;
        }
      row[ow] = best;
    }
  }
}

template <typename T>
KILN_INLINE void maxPool(const T *x, T *y, const PoolShape &s, Index p0, Index p1) {
  bool twoByTwo = s.kh == 2 && s.kw == 2 && s.sh == 2 && s.sw == 2 && s.ph == 0 && s.pw == 0;
  Inside cols = insideColumns(s);
  for (Index p = p0; p < p1; ++p) {
    const T *in = x + p * s.h * s.w;
    T *out = y + p * s.ho * s.wo;
    if (twoByTwo) {
      maxPool2x2(in, out, s);
      continue;
    }
    for (Index oh = 0; oh < s.ho; ++oh) {
      bool inside = insideRow(s, oh);
      Index lo = inside ? cols.lo : s.wo, hi = inside ? cols.hi : s.wo;
      for (Index ow = 0; ow < lo; ++ow)
        out[oh * s.wo + ow] = windowMax(in, s, window(s, oh, ow));
      Index h0 = oh * s.sh - s.ph;
      for (Index ow = lo; ow < hi; ++ow) {
        const T *at = in + h0 * s.w + ow * s.sw - s.pw;
        T best = at[0];
        for (Index i = 0; i < s.kh; ++i)
          for (Index j = 0; j < s.kw; ++j) {
            T v = at[i * s.w + j];
            best = __builtin_unpredictable((v > best) | (v != v)) ? v : best;
          }
        out[oh * s.wo + ow] = best;
      }
      for (Index ow = hi; ow < s.wo; ++ow)
        out[oh * s.wo + ow] = windowMax(in, s, window(s, oh, ow));
    }
  }
}

/// Windows that tile the input without overlap or padding (stride == window): every
/// input cell belongs to at most one window, so each window writes its cells directly
/// (dy at its argmax, 0 elsewhere) and only the uncovered border is zeroed.
template <typename T>
KILN_INLINE void maxPoolGradTiled(const T *in, const T *g, T *out, const PoolShape &s) {
  for (Index oh = 0; oh < s.ho; ++oh)
    for (Index ow = 0; ow < s.wo; ++ow) {
      Index h0 = oh * s.kh, w0 = ow * s.kw;
      Index best = insideArgmax(in, s, h0, w0);
      T d = g[oh * s.wo + ow];
      for (Index i = 0; i < s.kh; ++i)
        for (Index j = 0; j < s.kw; ++j) {
          Index at = (h0 + i) * s.w + w0 + j;
          out[at] = __builtin_unpredictable(at == best) ? d : T(0);
        }
    }
  for (Index ih = 0; ih < s.h; ++ih)
    for (Index iw = ih < s.ho * s.kh ? s.wo * s.kw : 0; iw < s.w; ++iw)
      out[ih * s.w + iw] = T(0);
}

template <typename I, I... Is> struct IndexList {};

/// N windows of one output row of the 2x2, stride-2 case, with vector selects on the
/// rows as they lie in memory: lanes 2i and 2i + 1 both compute window i (its cells a, b
/// above c, d duplicated into both lanes: one in-lane shuffle each), so the gradient
/// needs no interleaving shuffles on the way out (which cost twice the rest).
template <typename T, int N, int... L>
KILN_INLINE void maxPoolGrad2x2Pairs(const T *r0, const T *r1, const T *grad, T *o0, T *o1,
                                     IndexList<int, L...>) {
  typedef T V __attribute__((ext_vector_type(N)));
  typedef T W __attribute__((ext_vector_type(2 * N)));
  using M = decltype(W{} > W{}); // comparison masks: int or long lanes
  W top, bottom;
  V g;
  __builtin_memcpy(&top, r0, sizeof(W));
  __builtin_memcpy(&bottom, r1, sizeof(W));
  __builtin_memcpy(&g, grad, sizeof(V));
  W a = __builtin_shufflevector(top, top, (L & ~1)...);
  W b = __builtin_shufflevector(top, top, (L | 1)...);
  W c = __builtin_shufflevector(bottom, bottom, (L & ~1)...);
  W d = __builtin_shufflevector(bottom, bottom, (L | 1)...);
  W gradient = __builtin_shufflevector(g, g, (L / 2)...);
  // The first maximum in row-major order (a, b, c, d); NaN beats a number.
  W best = a;
  M index = 0;
  M wins = (b > best) | ((b != b) & (best == best));
  best = wins ? b : best;
  index = wins ? M(1) : index;
  wins = (c > best) | ((c != c) & (best == best));
  best = wins ? c : best;
  index = wins ? M(2) : index;
  wins = (d > best) | ((d != d) & (best == best));
  index = wins ? M(3) : index;
  M column = M{(L & 1)...}; // the lane's cell within its window's row
  W zero = T(0);
  W outTop = index == column ? gradient : zero;
  W outBottom = index == column + 2 ? gradient : zero;
  __builtin_memcpy(o0, &outTop, sizeof(W));
  __builtin_memcpy(o1, &outBottom, sizeof(W));
}

template <typename T, int N>
KILN_INLINE void maxPoolGrad2x2Block(const T *r0, const T *r1, const T *grad, T *o0, T *o1) {
  maxPoolGrad2x2Pairs<T, N>(r0, r1, grad, o0, o1, __make_integer_seq<IndexList, int, 2 * N>{});
}

/// The 2x2, stride-2 case of maxPoolGradTiled (most CNNs), 8, 4, 2 or 1 windows at a time:
/// the scalar argmax scan costs 1.5x as much on 7x7 and 14x14 planes, whose rows end in
/// 3 windows.
template <typename T>
KILN_INLINE void maxPoolGrad2x2(const T *in, const T *g, T *out, const PoolShape &s) {
  for (Index oh = 0; oh < s.ho; ++oh) {
    const T *r0 = in + 2 * oh * s.w, *r1 = r0 + s.w;
    T *o0 = out + 2 * oh * s.w, *o1 = o0 + s.w;
    const T *grow = g + oh * s.wo;
    Index ow = 0;
    for (; ow + 8 <= s.wo; ow += 8)
      maxPoolGrad2x2Block<T, 8>(r0 + 2 * ow, r1 + 2 * ow, grow + ow, o0 + 2 * ow, o1 + 2 * ow);
    for (; ow + 4 <= s.wo; ow += 4)
      maxPoolGrad2x2Block<T, 4>(r0 + 2 * ow, r1 + 2 * ow, grow + ow, o0 + 2 * ow, o1 + 2 * ow);
    for (; ow + 2 <= s.wo; ow += 2)
      maxPoolGrad2x2Block<T, 2>(r0 + 2 * ow, r1 + 2 * ow, grow + ow, o0 + 2 * ow, o1 + 2 * ow);
    if (ow < s.wo)
      maxPoolGrad2x2Block<T, 1>(r0 + 2 * ow, r1 + 2 * ow, grow + ow, o0 + 2 * ow, o1 + 2 * ow);
  }
  for (Index ih = 0; ih < s.h; ++ih)
    for (Index iw = ih < s.ho * 2 ? s.wo * 2 : 0; iw < s.w; ++iw)
      out[ih * s.w + iw] = T(0);
}

template <typename T>
KILN_INLINE void maxPoolGrad(const T *x, const T *dy, T *dx, const PoolShape &s, Index p0,
                             Index p1) {
  bool tiled = s.sh == s.kh && s.sw == s.kw && s.ph == 0 && s.pw == 0;
  bool twoByTwo = tiled && s.kh == 2 && s.kw == 2;
  Inside cols = insideColumns(s);
  for (Index p = p0; p < p1; ++p) {
    const T *in = x + p * s.h * s.w, *g = dy + p * s.ho * s.wo;
    T *out = dx + p * s.h * s.w;
    if (twoByTwo) {
      maxPoolGrad2x2(in, g, out, s);
      continue;
    }
    if (tiled) {
      maxPoolGradTiled(in, g, out, s);
      continue;
    }
    for (Index i = 0; i < s.h * s.w; ++i)
      out[i] = T(0);
    for (Index oh = 0; oh < s.ho; ++oh) {
      bool inside = insideRow(s, oh);
      Index lo = inside ? cols.lo : s.wo, hi = inside ? cols.hi : s.wo;
      Index h0 = oh * s.sh - s.ph;
      for (Index ow = 0; ow < s.wo; ++ow) {
        bool fast = ow >= lo && ow < hi;
        Index best = fast ? insideArgmax(in, s, h0, ow * s.sw - s.pw)
                          : windowArgmax(in, s, window(s, oh, ow));
        out[best] += g[oh * s.wo + ow];
      }
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
