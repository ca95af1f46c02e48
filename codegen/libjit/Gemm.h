// libjit's GEMM: BLIS-structured C (+)= A B for one work item, with packed operands and
// a register-blocked micro-kernel written with explicit vector types of the ISA's width.
// Compiled to LLVM bitcode at build time; the code generator calls the entry points with
// constant shapes and strides and LLVM inlines and specializes everything but the
// micro-kernel (which is shared, generic in its depth).
//
// Algorithm (Goto/BLIS), for the rows [m0, m1) and columns [n0, n1) of C:
//   1. for each block of nc columns:  for each block of kc of the depth:
//   2.   pack B[kc x nc] into nr-wide panels (column blocks interleaved by depth)
//   3.   for each block of mc rows: pack A[mc x kc] into mr-tall panels
//   4.     for each nr panel of B, for each mr panel of A: the micro-kernel adds
//          the mr x nr product of two panels into C (via a tile on the edges)
// Packers are function objects, so convolutions pack straight from the image (im2col
// never materializes) and transposed operands are just other strides.
#pragma once

#include "kiln/codegen/libjit/KernelConfig.h"

#define KILN_INLINE inline __attribute__((always_inline))
// Code that gains little from constant shapes (packing, the macro-kernel's edge tiles)
// is compiled once per module and shared by every kernel that calls it: inlining it into
// each contraction made compile time grow with the number of distinct shapes.
#define KILN_SHARED __attribute__((noinline))

namespace kiln::libjit {

template <typename T, int W> struct VecOf { typedef T type __attribute__((ext_vector_type(W))); };
template <typename T> struct VecOf<T, 1> { typedef T type; };

template <typename V, typename T> KILN_INLINE V loadVec(const T *p) {
  V v;
  __builtin_memcpy(&v, p, sizeof(V));
  return v;
}
template <typename V, typename T> KILN_INLINE void storeVec(T *p, V v) {
  __builtin_memcpy(p, &v, sizeof(V));
}

template <typename T, Isa I> struct Blocking {
  static constexpr GemmBlocking g = gemmBlocking(I, sizeof(T));
  static constexpr int w = g.w, mr = g.mr, nv = g.nv, nr = g.nr;
};

/// The mr x nr accumulators of a micro-kernel, mr x nv vectors held in registers for
/// the whole depth; the micro-kernels differ only in where a depth step's operands are.
template <typename T, Isa I> struct AccumulatorTile {
  using B = Blocking<T, I>;
  using V = typename VecOf<T, B::w>::type;
  V acc[B::mr][B::nv];

  KILN_INLINE void zero() {
#pragma unroll
    for (int i = 0; i < B::mr; ++i)
#pragma unroll
      for (int v = 0; v < B::nv; ++v)
        acc[i][v] = T(0);
  }
  /// The nr elements of one row of B, from `row`.
  static KILN_INLINE void loadRow(V (&b)[B::nv], const T *row) {
#pragma unroll
    for (int v = 0; v < B::nv; ++v)
      b[v] = loadVec<V>(row + v * B::w);
  }
  /// acc[i] += a(i) * b: one depth step; a(i) is the A element of row i.
  template <class ColumnOfA> KILN_INLINE void step(const ColumnOfA &a, const V (&b)[B::nv]) {
#pragma unroll
    for (int i = 0; i < B::mr; ++i) {
      V ai = a(i);
#pragma unroll
      for (int v = 0; v < B::nv; ++v)
        acc[i][v] += ai * b[v];
    }
  }
  /// c = (accumulate ? c : 0) + acc.
  KILN_INLINE void store(T *c, Index ldc, int accumulate) const {
#pragma unroll
    for (int i = 0; i < B::mr; ++i)
#pragma unroll
      for (int v = 0; v < B::nv; ++v) {
        T *out = c + i * ldc + v * B::w;
        V r = acc[i][v];
        if (accumulate)
          r += loadVec<V>(out);
        storeVec(out, r);
      }
  }
};

/// c[mr x nr] = (accumulate ? c : 0) + sum over p < k of pa[p*mr + i] * pb[p*nr + j]:
/// both operands packed into panels.
template <typename T, Isa I>
__attribute__((noinline)) void microKernel(Index k, const T *__restrict pa, const T *__restrict pb,
                                           T *__restrict c, Index ldc, int accumulate) {
  using Tile = AccumulatorTile<T, I>;
  Tile tile;
  tile.zero();
  for (Index p = 0; p < k; ++p) {
    typename Tile::V b[Tile::B::nv];
    Tile::loadRow(b, pb);
    tile.step([&](int i) { return pa[i]; }, b);
    pa += Tile::B::mr;
    pb += Tile::B::nr;
  }
  tile.store(c, ldc, accumulate);
}

/// Multiplies a packed mc x kc block of A by a packed kc x nc block of B into C.
template <typename T, Isa I>
KILN_SHARED void macroKernel(Index mc, Index nc, Index kc, const T *pa, const T *pb, T *c,
                             Index ldc, int accumulate, T *tile) {
  using B = Blocking<T, I>;
  for (Index j = 0; j < nc; j += B::nr) {
    Index nr = minIndex(B::nr, nc - j);
    for (Index i = 0; i < mc; i += B::mr) {
      Index mr = minIndex(B::mr, mc - i);
      const T *a = pa + i * kc, *b = pb + j * kc;
      T *out = c + i * ldc + j;
      if (mr == B::mr && nr == B::nr) {
        microKernel<T, I>(kc, a, b, out, ldc, accumulate);
        continue;
      }
      microKernel<T, I>(kc, a, b, tile, B::nr, 0);
#pragma clang loop unroll(disable)
      for (Index ii = 0; ii < mr; ++ii)
        for (Index jj = 0; jj < nr; ++jj) {
          T v = tile[ii * B::nr + jj];
          out[ii * ldc + jj] = accumulate ? out[ii * ldc + jj] + v : v;
        }
    }
  }
}

/// C rows [m0, m1) x columns [n0, n1) (+)= A B with depth k; `scratch` holds
/// gemmScratch(I, sizeof(T), mFull, nFull, k) elements (the whole problem's sizes, so
/// every item of it agrees with the code generator's arena plan).
template <typename T, Isa I, class PackA, class PackB>
KILN_INLINE void gemmBlocked(const PackA &packA, const PackB &packB, T *c, Index ldc, Index m0,
                             Index m1, Index n0, Index n1, Index k, int accumulate, T *scratch,
                             Index mFull, Index nFull) {
  using B = Blocking<T, I>;
  if (k == 0) {
    if (!accumulate)
      for (Index i = m0; i < m1; ++i)
        for (Index j = n0; j < n1; ++j)
          c[i * ldc + j] = T(0);
    return;
  }
  constexpr GemmBlocking g = B::g;
  GemmScratch parts = gemmScratch(I, sizeof(T), mFull, nFull, k);
  T *packedA = scratch, *packedB = scratch + parts.a, *tile = packedB + parts.b;
  Index kcMax = depthBlock(g.kc, k), mcMax = parts.a / kcMax, ncMax = parts.b / kcMax;
  mcMax -= mcMax % B::mr;
  ncMax -= ncMax % B::nr;
  for (Index jc = n0; jc < n1; jc += ncMax) {
    Index nc = minIndex(ncMax, n1 - jc);
    for (Index pc = 0; pc < k; pc += kcMax) {
      Index kc = minIndex(kcMax, k - pc);
      packB(packedB, pc, pc + kc, jc, jc + nc);
      for (Index ic = m0; ic < m1; ic += mcMax) {
        Index mc = minIndex(mcMax, m1 - ic);
        packA(packedA, ic, ic + mc, pc, pc + kc);
        macroKernel<T, I>(mc, nc, kc, packedA, packedB, c + ic * ldc + jc, ldc,
                          accumulate || pc > 0, tile);
      }
    }
  }
}

/// dst[p*Rows + r] = src[r*stride + p] for r < Rows, p < depth: packing an operand whose
/// depth runs along memory (row-major A, transposed B) is a transpose. f32 goes eight
/// rows by eight depth steps at a time through registers (vector loads along the rows,
/// an 8 x 8 shuffle transpose, vector stores along the panel); the rest element-wise.
using F8 = VecOf<float, 8>::type;

KILN_INLINE void transpose8x8(F8 (&r)[8]) {
  F8 t[8], s[8];
#pragma unroll
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
#pragma unroll
  for (int i = 0; i < 8; i += 4) {
    s[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    s[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    s[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    s[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
#pragma unroll
  for (int q = 0; q < 4; ++q) {
    r[q] = __builtin_shufflevector(s[q], s[q + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[q + 4] = __builtin_shufflevector(s[q], s[q + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

/// Rows [8G, 8G + 8) of an f32 transposed pack, depth steps [p, p + 8).
template <int Rows, int G = 0>
KILN_INLINE void transposeRowGroups(float *dst, const float *src, Index stride, Index p) {
  if constexpr (G * 8 < Rows) {
    constexpr int n = Rows - G * 8 < 8 ? Rows - G * 8 : 8;
    F8 r[8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
      r[i] = i < n ? loadVec<F8>(src + (G * 8 + i) * stride + p) : F8(0.0f);
    transpose8x8(r);
#pragma unroll
    for (int q = 0; q < 8; ++q)
      __builtin_memcpy(dst + (p + q) * Rows + G * 8, &r[q], n * sizeof(float));
    transposeRowGroups<Rows, G + 1>(dst, src, stride, p);
  }
}

template <int Rows, typename T>
KILN_INLINE void packTransposed(T *dst, const T *src, Index stride, Index depth) {
  Index p = 0;
  if constexpr (sizeof(T) == 4)
    for (; p + 8 <= depth; p += 8)
      transposeRowGroups<Rows>(reinterpret_cast<float *>(dst), reinterpret_cast<const float *>(src),
                               stride, p);
  for (; p < depth; ++p)
    for (int r = 0; r < Rows; ++r)
      dst[p * Rows + r] = src[r * stride + p];
}

/// out[ch * ldo + cell] = c[cell * ldc + ch] for ch < channels, cell < cells: a product
/// computed transposed, written back in the layout its consumer reads. f32 goes through
/// the 8x8 register transpose.
template <typename T>
KILN_INLINE void copyTransposed(const T *c, Index ldc, Index cells, Index channels, T *out,
                                Index ldo) {
  Index ch0 = 0;
  if constexpr (sizeof(T) == 4)
    for (; ch0 + 8 <= channels; ch0 += 8) {
      Index cell = 0;
      for (; cell + 8 <= cells; cell += 8) {
        F8 r[8];
#pragma unroll
        for (int i = 0; i < 8; ++i)
          r[i] = loadVec<F8>(reinterpret_cast<const float *>(c) + (cell + i) * ldc + ch0);
        transpose8x8(r);
#pragma unroll
        for (int q = 0; q < 8; ++q)
          storeVec(reinterpret_cast<float *>(out) + (ch0 + q) * ldo + cell, r[q]);
      }
      for (; cell < cells; ++cell)
        for (Index ch = ch0; ch < ch0 + 8; ++ch)
          out[ch * ldo + cell] = c[cell * ldc + ch];
    }
  for (Index ch = ch0; ch < channels; ++ch)
    for (Index cell = 0; cell < cells; ++cell)
      out[ch * ldo + cell] = c[cell * ldc + ch];
}

/// Packs A(i, p) = a[i*rs + p*cs] into mr-tall panels: panel element (i, p) at p*mr + i.
template <typename T, Isa I> struct StridedA {
  const T *a;
  Index rs, cs;
  KILN_SHARED void operator()(T *dst, Index i0, Index i1, Index p0, Index p1) const {
    constexpr int mr = Blocking<T, I>::mr;
    for (Index i = i0; i < i1; i += mr) {
      Index rows = minIndex(mr, i1 - i);
      const T *src = a + i * rs;
      if (rows == mr && cs == 1) {
        packTransposed<mr>(dst, src + p0, rs, p1 - p0);
        dst += mr * (p1 - p0);
      } else if (rows == mr) {
        for (Index p = p0; p < p1; ++p, dst += mr)
          for (int ii = 0; ii < mr; ++ii)
            dst[ii] = src[ii * rs + p * cs];
      } else {
        for (Index p = p0; p < p1; ++p, dst += mr)
          for (int ii = 0; ii < mr; ++ii)
            dst[ii] = ii < rows ? src[ii * rs + p * cs] : T(0);
      }
    }
  }
};

/// Packs B(p, j) = b[p*rs + j*cs] into nr-wide panels: panel element (p, j) at p*nr + j.
template <typename T, Isa I> struct StridedB {
  const T *b;
  Index rs, cs;
  KILN_SHARED void operator()(T *dst, Index p0, Index p1, Index j0, Index j1) const {
    constexpr int nr = Blocking<T, I>::nr;
    for (Index j = j0; j < j1; j += nr) {
      Index cols = minIndex(nr, j1 - j);
      const T *src = b + j * cs;
      if (cols == nr && rs == 1) {
        packTransposed<nr>(dst, src + p0, cs, p1 - p0);
        dst += nr * (p1 - p0);
      } else if (cols == nr) {
        for (Index p = p0; p < p1; ++p, dst += nr)
          for (int jj = 0; jj < nr; ++jj)
            dst[jj] = src[p * rs + jj * cs];
      } else {
        for (Index p = p0; p < p1; ++p, dst += nr)
          for (int jj = 0; jj < nr; ++jj)
            dst[jj] = jj < cols ? src[p * rs + jj * cs] : T(0);
      }
    }
  }
};

/// A B operand packed once for every work item (a convolution's filter): the nr-wide
/// panels of every depth block of `kc`, `cols` (N rounded up to whole panels) wide, so
/// a block's panel is a pointer.
template <typename T> struct PrepackedB {
  const T *base;
  Index cols, kc;
  /// The panel of depth [p0, p0 + kc) and columns [j0, j0 + nr).
  KILN_INLINE const T *panel(Index p0, Index j0, Index depth) const {
    return base + p0 * cols + j0 * depth;
  }
};

/// Packs a whole B operand of `depth` x `n` with `pack` into the PrepackedB layout of
/// `cols` (n rounded up to nr) columns and depth blocks of `kc`.
template <class Pack, typename T>
KILN_INLINE void prepackB(const Pack &pack, T *dst, Index n, Index depth, Index kc, Index cols) {
  for (Index p0 = 0; p0 < depth; p0 += kc)
    pack(dst + p0 * cols, p0, minIndex(p0 + kc, depth), 0, n);
}

} // namespace kiln::libjit
