// libjit's stride-1 convolutions as "shifted-window" implicit GEMMs, which need no
// im2col packing and no col2im scatter.
//
// Pad the image into xp [Cg, Hp, Wp] (zero borders) and compute the output on a grid
// Ho x Wp as wide as the padded input: column j = oh * Wp + ow'. Then row p = (ci, ki,
// kj) of im2col is the contiguous slice of xp starting at
//   shift(p) = ci * Hp * Wp + ki * dh * Wp + kj * dw,
// so B(p, j) = xp[shift(p) + j] packs with plain vector copies. Columns with ow' >= Wo
// are computed and dropped (Wp / Wo more work: 16/14 for a padded 14x14 image).
//   forward      Y~[Og, Ho*Wp] = w[g] [Og, K] x B; y = the valid columns of Y~
//   input grad   stride 1 makes dx a forward convolution of dy, padded by
//                (KH-1)*dh - ph, with the filter transposed (C <-> O) and flipped
//   filter grad  dW^T [K, Og] = B^T [K, Ho*Wo] x dy^T [Ho*Wo, Og], the depth running over
//                the valid columns only (B^T's rows are then runs of Wo cells Wp apart),
//                summed over the images of a chunk
#pragma once

#include "codegen/libjit/Gemm.h"

namespace kiln::libjit {

/// xp = `planes` planes of [h, w] from `x` (plane stride h*w), zero-padded by (ph, pw)
/// into planes of z.hp x z.wp, then the zero tail.
template <typename T>
KILN_INLINE void padPlanes(const T *x, Index planes, Index h, Index w, Index ph, Index pw,
                           const Shifted &z, T *xp) {
  for (Index ci = 0; ci < planes; ++ci) {
    T *out = xp + ci * z.plane;
    const T *in = x + ci * h * w;
    for (Index i = 0; i < ph * z.wp; ++i)
      out[i] = T(0);
    for (Index r = 0; r < h; ++r) {
      T *row = out + (r + ph) * z.wp;
      for (Index i = 0; i < pw; ++i)
        row[i] = T(0);
      for (Index i = 0; i < w; ++i)
        row[pw + i] = in[r * w + i];
      for (Index i = pw + w; i < z.wp; ++i)
        row[i] = T(0);
    }
    for (Index i = (h + ph) * z.wp; i < z.plane; ++i)
      out[i] = T(0);
  }
  for (Index i = 0; i < z.tail; ++i)
    xp[planes * z.plane + i] = T(0);
}

/// B(p, j) = xp[shift(p) + j]: nr-wide panels are contiguous copies.
template <typename T, Isa I> struct ShiftedB {
  const T *xp;
  Shifted z;
  KILN_INLINE void operator()(T *dst, Index p0, Index p1, Index j0, Index j1) const {
    constexpr int nr = Blocking<T, I>::nr;
    Index khw = z.kh * z.kw;
    for (Index j = j0; j < j1; j += nr) {
      Index cols = minIndex(nr, j1 - j);
      Index ci = p0 / khw, r = p0 - ci * khw, ki = r / z.kw, kj = r - ki * z.kw;
      for (Index p = p0; p < p1; ++p, dst += nr) {
        const T *src = xp + z.shift(ci, ki, kj) + j;
        if (cols == nr) {
          for (int jj = 0; jj < nr; ++jj)
            dst[jj] = src[jj];
        } else {
          for (int jj = 0; jj < nr; ++jj)
            dst[jj] = jj < cols ? src[jj] : T(0);
        }
        if (++kj == z.kw) {
          kj = 0;
          if (++ki == z.kh) {
            ki = 0;
            ++ci;
          }
        }
      }
    }
  }
};

/// B(p = (o, ki, kj), c) = w[g*Og + o][c][KH-1-ki][KW-1-kj]: the filter of the input
/// gradient as a forward convolution (channels swapped, taps flipped), packed as the B
/// operand of convInputGradShifted's transposed product.
template <typename T, Isa I> struct FlippedFilterB {
  const T *w; ///< group g's first filter
  Index cg, kh, kw;
  KILN_INLINE void operator()(T *dst, Index p0, Index p1, Index j0, Index j1) const {
    constexpr int nr = Blocking<T, I>::nr;
    Index khw = kh * kw;
    for (Index j = j0; j < j1; j += nr) {
      Index cols = minIndex(nr, j1 - j);
      for (Index p = p0; p < p1; ++p, dst += nr) {
        Index o = p / khw, t = p - o * khw;
        const T *src = w + (o * cg + j) * khw + khw - 1 - t; // channel j, tap flipped
        for (int jj = 0; jj < nr; ++jj)
          dst[jj] = jj < cols ? src[jj * khw] : T(0);
      }
    }
  }
};

/// Packs the filter of a shifted forward convolution (A panels, per group).
template <typename T, Isa I>
KILN_INLINE void packForwardFilter(const T *w, T *packed, const ConvShape &s) {
  using B = Blocking<T, I>;
  Index k = s.k(), rows = roundUp(s.og(), B::mr);
  Index kc = depthBlock(B::g.kc, k);
  for (Index g = 0; g < s.groups; ++g)
    prepack(StridedA<T, I>{w + g * s.og() * k, k, 1}, packed + g * rows * k, s.og(), k, kc, rows,
            /*isA=*/true);
}

/// Packs the transposed, flipped filter of a shifted input gradient (B panels, per group).
template <typename T, Isa I>
KILN_INLINE void packInputGradFilter(const T *w, T *packed, const ConvShape &s) {
  using B = Blocking<T, I>;
  Index k = s.og() * s.kh * s.kw, cols = roundUp(s.cg(), B::nr);
  Index kc = depthBlock(B::g.kc, k);
  for (Index g = 0; g < s.groups; ++g)
    prepack(FlippedFilterB<T, I>{w + g * s.og() * s.k(), s.cg(), s.kh, s.kw}, packed + g * cols * k,
            s.cg(), k, kc, cols, /*isA=*/false);
}

/// y[n, g] (rows x ho x wo) from the wide product, through a forward view `z` of the
/// padded operand `in` (planes of h x w padded by ph, pw) and filter packer `a`.
template <typename T, Isa I>
KILN_INLINE void shiftedConvolve(const T *in, Index h, Index w, Index ph, Index pw,
                                 const Shifted &z, const PrepackedA<T> &a, Index rows, Index wo,
                                 T *out, T *scratch) {
  T *xp = scratch;
  T *wide = xp + alignElements(z.padded(), sizeof(T));
  T *gemm = wide + alignElements(rows * z.cols, sizeof(T));
  padPlanes(in, z.c, h, w, ph, pw, z, xp);
  ShiftedB<T, I> b{xp, z};
  gemmBlocked<T, I>(a, b, wide, z.cols, 0, rows, 0, z.cols, z.k, 0, gemm, rows, z.cols);
  for (Index r = 0; r < rows; ++r)
    for (Index oh = 0; oh < z.ho; ++oh)
      for (Index ow = 0; ow < wo; ++ow)
        out[(r * z.ho + oh) * wo + ow] = wide[r * z.cols + oh * z.wp + ow];
}

/// Forward convolution of image n, group g (item = n * groups + g), stride 1, with the
/// filter from packForwardFilter.
template <typename T, Isa I>
KILN_INLINE void convForwardShifted(const T *x, const T *packed, T *y, const ConvShape &s,
                                    Index item, T *scratch) {
  Index n = item / s.groups, g = item - n * s.groups;
  Shifted z = forwardShifted(s, Blocking<T, I>::nr);
  Index rows = roundUp(s.og(), Blocking<T, I>::mr);
  PrepackedA<T> a{{packed + g * rows * s.k(), rows}};
  shiftedConvolve<T, I>(x + (n * s.c + g * s.cg()) * s.h * s.w, s.h, s.w, s.ph, s.pw, z, a, s.og(),
                        s.wo, y + (n * s.o + g * s.og()) * s.outPlane(), scratch);
}

/// A(i = j, p) = xp[shift(p) + j]: mr consecutive columns of a shifted row per depth
/// step (the transposed product's A operand: contiguous reads and writes).
template <typename T, Isa I> struct ShiftedColumnsA {
  const T *xp;
  Shifted z;
  KILN_INLINE void operator()(T *dst, Index i0, Index i1, Index p0, Index p1) const {
    constexpr int mr = Blocking<T, I>::mr;
    Index khw = z.kh * z.kw;
    for (Index i = i0; i < i1; i += mr) {
      Index n = minIndex(mr, i1 - i);
      Index ci = p0 / khw, r = p0 - ci * khw, ki = r / z.kw, kj = r - ki * z.kw;
      for (Index p = p0; p < p1; ++p, dst += mr) {
        const T *src = xp + z.shift(ci, ki, kj) + i;
        if (n == mr) {
          for (int ii = 0; ii < mr; ++ii)
            dst[ii] = src[ii];
        } else {
          for (int ii = 0; ii < mr; ++ii)
            dst[ii] = ii < n ? src[ii] : T(0);
        }
        if (++kj == z.kw) {
          kj = 0;
          if (++ki == z.kh) {
            ki = 0;
            ++ci;
          }
        }
      }
    }
  }
};

/// Input gradient of image n, group g (item = n * groups + g), stride 1, with the filter
/// from packInputGradFilter: every dx cell of the item is written. The product is transposed,
/// wide^T [Ho*Wp, Cg] = B^T x wt, because Cg is often small (32) and would waste most
/// of the last register tile as the row count.
template <typename T, Isa I>
KILN_INLINE void convInputGradShifted(const T *dy, const T *packed, T *dx, const ConvShape &s,
                                      Index item, T *scratch) {
  Index n = item / s.groups, g = item - n * s.groups;
  Shifted z = inputGradShifted(s, Blocking<T, I>::nr);
  Index cg = s.cg();
  T *xp = scratch;
  T *wide = xp + alignElements(z.padded(), sizeof(T));
  T *gemm = wide + alignElements(cg * z.cols, sizeof(T));
  padPlanes(dy + (n * s.o + g * s.og()) * s.outPlane(), z.c, s.ho, s.wo, (s.kh - 1) * s.dh - s.ph,
            (s.kw - 1) * s.dw - s.pw, z, xp);
  ShiftedColumnsA<T, I> a{xp, z};
  Index cols = roundUp(cg, Blocking<T, I>::nr);
  PrepackedB<T> b{packed + g * cols * z.k, cols};
  gemmBlocked<T, I>(a, b, wide, cg, 0, z.cols, 0, cg, z.k, 0, gemm, z.cols, cg);
  T *out = dx + (n * s.c + g * cg) * s.h * s.w;
  for (Index c = 0; c < cg; ++c)
    for (Index h = 0; h < s.h; ++h)
      for (Index w = 0; w < s.w; ++w)
        out[(c * s.h + h) * s.w + w] = wide[(h * z.wp + w) * cg + c];
}

/// A(i = p, q) = xp[shift(p) + (q / Wo) * Wp + q % Wo]: the valid cells of row p of the
/// shifted image, packed mr rows at a time.
template <typename T, Isa I> struct ShiftedRowsA {
  const T *xp;
  Shifted z;
  Index wo;
  KILN_INLINE void operator()(T *dst, Index i0, Index i1, Index q0, Index q1) const {
    constexpr int mr = Blocking<T, I>::mr;
    Index khw = z.kh * z.kw;
    for (Index i = i0; i < i1; i += mr, dst += mr * (q1 - q0)) {
      Index rows = minIndex(mr, i1 - i);
      // One row of the panel at a time: contiguous reads. Not unrolled: every copy of
      // the inner loop would be code without speed.
#pragma clang loop unroll(disable)
      for (int ii = 0; ii < mr; ++ii) {
        Index p = i + ii;
        if (ii >= rows) {
          for (Index q = q0; q < q1; ++q)
            dst[(q - q0) * mr + ii] = T(0);
          continue;
        }
        Index ci = p / khw, r = p - ci * khw, ki = r / z.kw, kj = r - ki * z.kw;
        const T *src = xp + z.shift(ci, ki, kj);
        Index oh = q0 / wo, ow = q0 - oh * wo;
        for (Index q = q0; q < q1; ++q) {
          dst[(q - q0) * mr + ii] = src[oh * z.wp + ow];
          if (++ow == wo) {
            ow = 0;
            ++oh;
          }
        }
      }
    }
  }
};

/// B(q, o) = rows[o * cols + q]: nr rows (output channels) at a time, read row by row.
template <typename T, Isa I> struct RowsB {
  const T *rows; ///< [Og, cols]
  Index cols;
  KILN_INLINE void operator()(T *dst, Index q0, Index q1, Index o0, Index o1) const {
    constexpr int nr = Blocking<T, I>::nr;
    for (Index o = o0; o < o1; o += nr, dst += nr * (q1 - q0)) {
      Index n = minIndex(nr, o1 - o);
#pragma clang loop unroll(disable)
      for (int jj = 0; jj < nr; ++jj)
        for (Index q = q0; q < q1; ++q)
          dst[(q - q0) * nr + jj] = jj < n ? rows[(o + jj) * cols + q] : T(0);
    }
  }
};

/// The filter gradient of one chunk of images for group g (item = chunk * groups + g),
/// transposed: parts[item] is [K, Og]; kiln_conv2d_filter_grad_sum_* sums the chunks
/// in order and transposes into dw.
template <typename T, Isa I>
KILN_INLINE void convFilterGradShifted(const T *x, const T *dy, T *parts, const ConvShape &s,
                                       Index imagesPerChunk, Index item, T *scratch) {
  Index chunk = item / s.groups, g = item - chunk * s.groups;
  Index n0 = chunk * imagesPerChunk, n1 = minIndex(s.n, n0 + imagesPerChunk);
  Shifted z = forwardShifted(s, Blocking<T, I>::nr);
  T *xp = scratch;
  T *gemm = xp + alignElements(z.padded(), sizeof(T));
  T *out = parts + item * z.k * s.og();
  for (Index n = n0; n < n1; ++n) {
    padPlanes(x + (n * s.c + g * s.cg()) * s.h * s.w, s.cg(), s.h, s.w, s.ph, s.pw, z, xp);
    ShiftedRowsA<T, I> a{xp, z, s.wo};
    RowsB<T, I> b{dy + (n * s.o + g * s.og()) * s.outPlane(), s.outPlane()};
    gemmBlocked<T, I>(a, b, out, s.og(), 0, z.k, 0, s.og(), s.outPlane(), n > n0, gemm, z.k,
                      s.og());
  }
  if (n1 <= n0)
    for (Index i = 0; i < z.k * s.og(); ++i)
      out[i] = T(0);
}

/// dw[g*Og + o][p] = the sum over chunks of parts[chunk][g][p][o], chunks in order.
/// Reads run along o (contiguous in every part); the transposed writes stride by k.
template <typename T>
KILN_INLINE void sumTransposedChunks(const T *parts, T *dw, Index chunks, Index groups, Index k,
                                     Index og) {
  for (Index g = 0; g < groups; ++g)
    for (Index p = 0; p < k; ++p) {
      const T *first = parts + (g * k + p) * og;
      for (Index o = 0; o < og; ++o) {
        T sum = first[o];
        for (Index c = 1; c < chunks; ++c)
          sum += first[c * groups * k * og + o];
        dw[(g * og + o) * k + p] = sum;
      }
    }
}

} // namespace kiln::libjit
