// libjit's convolutions (NCHW) as GEMMs whose packers read the image directly, so the
// im2col matrix is never stored (DESIGN §7). Per image n and group g, with K = Cg*KH*KW:
//   forward       y[n,g]  [Og, HoWo] = w[g] [Og, K] x im2col(x[n,g]) [K, HoWo]
//   input grad    col     [K, HoWo]  = w[g]^T [K, Og] x dy[n,g] [Og, HoWo];
//                 dx[n,g] = col2im(col)  (the scatter-add adjoint of im2col)
//   filter grad   dw[g]   [Og, K]   += dy[n..,g] [Og, n*HoWo] x im2col(x[n..,g])^T,
//                 one GEMM per chunk of images whose depth runs over the images.
#pragma once

#include "kiln/codegen/libjit/Gemm.h"

namespace kiln::libjit {

/// The output positions ow whose input column ow*stride + offset lies in [0, size): [lo, hi).
struct ValidRange {
  Index lo, hi;
};
KILN_INLINE ValidRange validRange(Index offset, Index stride, Index size, Index outSize) {
  Index lo = offset >= 0 ? 0 : ceilDiv(-offset, stride);
  Index last = size - 1 - offset;
  Index hi = last < 0 ? 0 : last / stride + 1;
  lo = minIndex(lo, outSize);
  hi = minIndex(hi, outSize);
  return {lo, hi < lo ? lo : hi};
}

/// B(p, j) = im2col(x)[p][j]: p runs over (ci, ki, kj), j over (oh, ow). Each panel row
/// is a few runs of one input row: zeros, a strided copy, zeros.
template <typename T, Isa I> struct Im2colB {
  const T *x; ///< image n, first channel of group g
  ConvShape s;
  KILN_SHARED void operator()(T *dst, Index p0, Index p1, Index j0, Index j1) const {
    constexpr int nr = Blocking<T, I>::nr;
    Index khw = s.kh * s.kw;
    for (Index j = j0; j < j1; j += nr) {
      Index cols = minIndex(nr, j1 - j);
      Index ohStart = j / s.wo, owStart = j - ohStart * s.wo;
      for (Index p = p0; p < p1; ++p, dst += nr) {
        Index ci = p / khw, r = p - ci * khw, ki = r / s.kw, kj = r - ki * s.kw;
        const T *plane = x + ci * s.h * s.w;
        Index offY = ki * s.dh - s.ph, offX = kj * s.dw - s.pw;
        ValidRange valid = validRange(offX, s.sw, s.w, s.wo);
        Index oh = ohStart, ow = owStart, jj = 0;
        while (jj < cols) {
          Index run = minIndex(s.wo - ow, cols - jj);
          Index iy = oh * s.sh + offY;
          T *d = dst + jj - ow; // d[ow'] for ow' in [ow, ow + run)
          if (iy < 0 || iy >= s.h) {
            for (Index t = ow; t < ow + run; ++t)
              d[t] = T(0);
          } else {
            const T *row = plane + iy * s.w + offX;
            Index lo = valid.lo < ow ? ow : valid.lo, hi = minIndex(valid.hi, ow + run);
            if (hi < lo)
              hi = lo;
            for (Index t = ow; t < lo; ++t)
              d[t] = T(0);
            for (Index t = lo; t < hi; ++t)
              d[t] = row[t * s.sw];
            for (Index t = hi; t < ow + run; ++t)
              d[t] = T(0);
          }
          jj += run;
          ow += run;
          if (ow == s.wo) {
            ow = 0;
            ++oh;
          }
        }
        for (; jj < nr; ++jj)
          dst[jj] = T(0);
      }
    }
  }
};

/// B(p, j) = im2col(x)[j][p] over a chunk of images: p runs over (image, oh, ow), j over
/// (ci, ki, kj). The nr filter taps of a panel are precomputed as offsets; windows away
/// from the border gather without bounds checks.
template <typename T, Isa I> struct Im2colTransposedB {
  const T *x; ///< first image of the chunk, first channel of group g
  Index imageStride;
  ConvShape s;
  KILN_SHARED void operator()(T *dst, Index p0, Index p1, Index j0, Index j1) const {
    constexpr int nr = Blocking<T, I>::nr;
    Index khw = s.kh * s.kw, plane = s.outPlane();
    for (Index j = j0; j < j1; j += nr) {
      Index cols = minIndex(nr, j1 - j);
      Index offset[nr], dy[nr], dx[nr];
      for (int jj = 0; jj < nr; ++jj) {
        Index tap = j + (jj < cols ? jj : 0);
        Index ci = tap / khw, r = tap - ci * khw, ki = r / s.kw, kj = r - ki * s.kw;
        dy[jj] = ki * s.dh - s.ph;
        dx[jj] = kj * s.dw - s.pw;
        offset[jj] = ci * s.h * s.w + dy[jj] * s.w + dx[jj];
        if (jj >= cols)
          dy[jj] = -s.h - (s.kh - 1) * s.dh - s.ph * 2 - 1; // never inside the image
      }
      Index image = p0 / plane, hw = p0 - image * plane;
      Index oh = hw / s.wo, ow = hw - oh * s.wo;
      for (Index p = p0; p < p1; ++p, dst += nr) {
        const T *base = x + image * imageStride;
        Index y0 = oh * s.sh, x0 = ow * s.sw;
        bool inside = cols == nr && y0 - s.ph >= 0 && y0 + (s.kh - 1) * s.dh - s.ph < s.h &&
                      x0 - s.pw >= 0 && x0 + (s.kw - 1) * s.dw - s.pw < s.w;
        if (inside) {
          const T *at = base + y0 * s.w + x0;
          for (int jj = 0; jj < nr; ++jj)
            dst[jj] = at[offset[jj]];
        } else {
          for (int jj = 0; jj < nr; ++jj) {
            Index iy = y0 + dy[jj], ix = x0 + dx[jj];
            bool in = iy >= 0 && iy < s.h && ix >= 0 && ix < s.w;
            dst[jj] = in ? base[y0 * s.w + x0 + offset[jj]] : T(0);
          }
        }
        if (++ow == s.wo) {
          ow = 0;
          if (++oh == s.ho) {
            oh = 0;
            ++image;
          }
        }
      }
    }
  }
};

/// A(i, p) = dy[image][i][hw] over a chunk of images: p runs over (image, hw).
template <typename T, Isa I> struct ImagesA {
  const T *dy; ///< first image of the chunk, first channel of group g
  Index imageStride, plane;
  KILN_SHARED void operator()(T *dst, Index i0, Index i1, Index p0, Index p1) const {
    constexpr int mr = Blocking<T, I>::mr;
    for (Index i = i0; i < i1; i += mr) {
      Index rows = minIndex(mr, i1 - i);
      Index image = p0 / plane, hw = p0 - image * plane;
      for (Index p = p0; p < p1; ++p, dst += mr) {
        const T *src = dy + image * imageStride + i * plane + hw;
        for (int ii = 0; ii < mr; ++ii)
          dst[ii] = ii < rows ? src[ii * plane] : T(0);
        if (++hw == plane) {
          hw = 0;
          ++image;
        }
      }
    }
  }
};

/// dx[ci][iy][ix] += col[(ci, ki, kj)][(oh, ow)] for every tap reading a real input cell.
template <typename T> KILN_INLINE void col2im(const T *col, const ConvShape &s, T *dx) {
  Index plane = s.outPlane();
  for (Index ci = 0; ci < s.cg(); ++ci)
    for (Index ki = 0; ki < s.kh; ++ki)
      for (Index kj = 0; kj < s.kw; ++kj) {
        const T *row = col + ((ci * s.kh + ki) * s.kw + kj) * plane;
        Index offY = ki * s.dh - s.ph, offX = kj * s.dw - s.pw;
        ValidRange cols = validRange(offX, s.sw, s.w, s.wo);
        ValidRange rows = validRange(offY, s.sh, s.h, s.ho);
        for (Index oh = rows.lo; oh < rows.hi; ++oh) {
          T *d = dx + (ci * s.h + oh * s.sh + offY) * s.w + offX;
          const T *c = row + oh * s.wo;
          for (Index ow = cols.lo; ow < cols.hi; ++ow)
            d[ow * s.sw] += c[ow];
        }
      }
}

/// Forward convolution of image n, group g (item = n * groups + g).
template <typename T, Isa I>
KILN_INLINE void convForward(const T *x, const T *w, T *y, const ConvShape &s, Index item,
                             T *scratch) {
  Index n = item / s.groups, g = item - n * s.groups;
  Index k = s.k(), plane = s.outPlane();
  StridedA<T, I> a{w + g * s.og() * k, k, 1};
  Im2colB<T, I> b{x + (n * s.c + g * s.cg()) * s.h * s.w, s};
  gemmBlocked<T, I>(a, b, y + (n * s.o + g * s.og()) * plane, plane, 0, s.og(), 0, plane, k, 0,
                    scratch, s.og(), plane);
}

/// Input gradient of image n, group g (item = n * groups + g): every dx cell of the
/// item is written (zeroed, then accumulated), so items are independent.
template <typename T, Isa I>
KILN_INLINE void convInputGrad(const T *dy, const T *w, T *dx, const ConvShape &s, Index item,
                               T *scratch) {
  Index n = item / s.groups, g = item - n * s.groups;
  Index k = s.k(), plane = s.outPlane();
  T *col = scratch + gemmScratch(I, sizeof(T), k, plane, s.og()).total();
  StridedA<T, I> a{w + g * s.og() * k, 1, k};
  StridedB<T, I> b{dy + (n * s.o + g * s.og()) * plane, plane, 1};
  gemmBlocked<T, I>(a, b, col, plane, 0, k, 0, plane, s.og(), 0, scratch, k, plane);
  T *target = dx + (n * s.c + g * s.cg()) * s.h * s.w;
  for (Index i = 0; i < s.cg() * s.h * s.w; ++i)
    target[i] = T(0);
  col2im(col, s, target);
}

/// Filter gradient of one chunk of images for group g (item = chunk * groups + g) into
/// parts[item] (Og x K): the caller sums the chunks in order (kiln_sum_chunks).
template <typename T, Isa I>
KILN_INLINE void convFilterGrad(const T *x, const T *dy, T *parts, const ConvShape &s,
                                Index imagesPerChunk, Index item, T *scratch) {
  Index chunk = item / s.groups, g = item - chunk * s.groups;
  Index n0 = chunk * imagesPerChunk, n1 = minIndex(s.n, n0 + imagesPerChunk);
  Index k = s.k(), plane = s.outPlane();
  ImagesA<T, I> a{dy + (n0 * s.o + g * s.og()) * plane, s.o * plane, plane};
  Im2colTransposedB<T, I> b{x + (n0 * s.c + g * s.cg()) * s.h * s.w, s.c * s.h * s.w, s};
  gemmBlocked<T, I>(a, b, parts + item * s.og() * k, k, 0, s.og(), 0, k, (n1 - n0) * plane, 0,
                    scratch, s.og(), k);
}

} // namespace kiln::libjit
