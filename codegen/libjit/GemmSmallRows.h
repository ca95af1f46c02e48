// libjit's GEMM for a few rows of C (a batch-1 prediction, the last rows of a split):
// C rows (+)= A B read straight from the operands. The blocked GEMM (Gemm.h) packs
// B -- K x N elements read and written once per call -- and runs an mr-row micro-kernel
// (14 rows on AVX-512): for one row that is twice B's memory traffic and 14 times the
// arithmetic. Here B is read once and every multiply is a real one.
//
// Two layouts of B are direct:
//   B(p, j) = b[p*brs + j], rows contiguous (x W): rows of C accumulate nv vectors of
//     columns over the depth, each B vector loaded once for all rows;
//   B(p, j) = b[p + j*bcs], columns contiguous (x W^T, a Linear layer's weight) with
//     A's rows contiguous too: dot products along the depth, four columns at a time.
// Other strides take the blocked path (gemmSmallRowsApplies says which).
#pragma once

#include "kiln/codegen/libjit/Gemm.h"

namespace kiln::libjit {

/// Rows of C up to which the direct product beats packing.
constexpr Index kSmallRows = 4;

constexpr bool gemmSmallRowsApplies(Index rows, Index acs, Index brs, Index bcs) {
  return rows <= kSmallRows && (bcs == 1 || (brs == 1 && acs == 1));
}

namespace small {

/// c = (accumulate ? c : 0) + v.
template <typename T> KILN_INLINE void put(T *c, T v, int accumulate) {
  *c = accumulate ? *c + v : v;
}

/// Rows x columns [j0, j1) of C from B with contiguous rows: columns in blocks of nv
/// vectors, then one vector, then scalars.
template <typename T, Isa I, int Rows>
KILN_INLINE void rowsContiguousB(const T *a, Index ars, Index acs, const T *b, Index brs, T *c,
                                 Index ldc, Index j0, Index j1, Index k, int accumulate) {
  // Rows x nv accumulators, nv of B and a broadcast: at most 21 of AVX-512's 32
  // registers; AVX2's 16 take two vectors of columns from three rows on.
  constexpr int w = Blocking<T, I>::w, nv = I == Isa::Avx2 && Rows > 2 ? 2 : 4;
  using V = typename VecOf<T, w>::type;
  Index j = j0;
  for (; j + nv * w <= j1; j += nv * w) {
    V acc[Rows][nv];
#pragma unroll
    for (int i = 0; i < Rows; ++i)
#pragma unroll
      for (int v = 0; v < nv; ++v)
        acc[i][v] = T(0);
    for (Index p = 0; p < k; ++p) {
      V bv[nv];
#pragma unroll
      for (int v = 0; v < nv; ++v)
        bv[v] = loadVec<V>(b + p * brs + j + v * w);
#pragma unroll
      for (int i = 0; i < Rows; ++i) {
        V ai = a[i * ars + p * acs];
#pragma unroll
        for (int v = 0; v < nv; ++v)
          acc[i][v] += ai * bv[v];
      }
    }
#pragma unroll
    for (int i = 0; i < Rows; ++i)
#pragma unroll
      for (int v = 0; v < nv; ++v) {
        T *out = c + i * ldc + j + v * w;
        V r = acc[i][v];
        if (accumulate)
          r += loadVec<V>(out);
        storeVec(out, r);
      }
  }
  for (; j + w <= j1; j += w) {
    V acc[Rows];
#pragma unroll
    for (int i = 0; i < Rows; ++i)
      acc[i] = T(0);
    for (Index p = 0; p < k; ++p) {
      V bv = loadVec<V>(b + p * brs + j);
#pragma unroll
      for (int i = 0; i < Rows; ++i)
        acc[i] += V(a[i * ars + p * acs]) * bv;
    }
#pragma unroll
    for (int i = 0; i < Rows; ++i) {
      V r = acc[i];
      if (accumulate)
        r += loadVec<V>(c + i * ldc + j);
      storeVec(c + i * ldc + j, r);
    }
  }
  for (; j < j1; ++j)
    for (int i = 0; i < Rows; ++i) {
      T sum = T(0);
      for (Index p = 0; p < k; ++p)
        sum += a[i * ars + p * acs] * b[p * brs + j];
      put(c + i * ldc + j, sum, accumulate);
    }
}

/// The sum of a vector's lanes.
template <typename T, int W> KILN_INLINE T lanes(typename VecOf<T, W>::type v) {
  if constexpr (W == 1) {
    return v;
  } else {
    T sum = T(0);
#pragma unroll
    for (int l = 0; l < W; ++l)
      sum += v[l];
    return sum;
  }
}

/// Rows x columns [j0, j1) of C as dot products of A's contiguous rows with B's
/// contiguous columns, four columns at a time.
template <typename T, Isa I, int Rows>
KILN_INLINE void columnsContiguousB(const T *a, Index ars, const T *b, Index bcs, T *c, Index ldc,
                                    Index j0, Index j1, Index k, int accumulate) {
  constexpr int w = Blocking<T, I>::w, cols = I == Isa::Avx2 && Rows > 2 ? 2 : 4;
  using V = typename VecOf<T, w>::type;
  Index kv = k - k % w;
  Index j = j0;
  for (; j + cols <= j1; j += cols) {
    V acc[Rows][cols];
#pragma unroll
    for (int i = 0; i < Rows; ++i)
#pragma unroll
      for (int q = 0; q < cols; ++q)
        acc[i][q] = T(0);
    for (Index p = 0; p < kv; p += w) {
      V bv[cols];
#pragma unroll
      for (int q = 0; q < cols; ++q)
        bv[q] = loadVec<V>(b + (j + q) * bcs + p);
#pragma unroll
      for (int i = 0; i < Rows; ++i) {
        V av = loadVec<V>(a + i * ars + p);
#pragma unroll
        for (int q = 0; q < cols; ++q)
          acc[i][q] += av * bv[q];
      }
    }
#pragma unroll
    for (int i = 0; i < Rows; ++i)
#pragma unroll
      for (int q = 0; q < cols; ++q) {
        T sum = lanes<T, w>(acc[i][q]);
        for (Index p = kv; p < k; ++p)
          sum += a[i * ars + p] * b[(j + q) * bcs + p];
        put(c + i * ldc + j + q, sum, accumulate);
      }
  }
  for (; j < j1; ++j)
    for (int i = 0; i < Rows; ++i) {
      V acc = T(0);
      for (Index p = 0; p < kv; p += w)
        acc += loadVec<V>(a + i * ars + p) * loadVec<V>(b + j * bcs + p);
      T sum = lanes<T, w>(acc);
      for (Index p = kv; p < k; ++p)
        sum += a[i * ars + p] * b[j * bcs + p];
      put(c + i * ldc + j, sum, accumulate);
    }
}

template <typename T, Isa I, int Rows>
KILN_SHARED void rows(const T *a, Index ars, Index acs, const T *b, Index brs, Index bcs, T *c,
                      Index ldc, Index j0, Index j1, Index k, int accumulate) {
  if (bcs == 1)
    rowsContiguousB<T, I, Rows>(a, ars, acs, b, brs, c, ldc, j0, j1, k, accumulate);
  else
    columnsContiguousB<T, I, Rows>(a, ars, b, bcs, c, ldc, j0, j1, k, accumulate);
}

} // namespace small

/// C rows [m0, m1) x columns [n0, n1) (+)= A B, A(i, p) = a[i*ars + p*acs] and
/// B(p, j) = b[p*brs + j*bcs], for gemmSmallRowsApplies(m1 - m0, acs, brs, bcs).
template <typename T, Isa I>
KILN_INLINE void gemmSmallRows(const T *a, Index ars, Index acs, const T *b, Index brs, Index bcs,
                               T *c, Index ldc, Index m0, Index m1, Index n0, Index n1, Index k,
                               int accumulate) {
  const T *ai = a + m0 * ars;
  T *ci = c + m0 * ldc;
  switch (m1 - m0) {
  case 1:
    return small::rows<T, I, 1>(ai, ars, acs, b, brs, bcs, ci, ldc, n0, n1, k, accumulate);
  case 2:
    return small::rows<T, I, 2>(ai, ars, acs, b, brs, bcs, ci, ldc, n0, n1, k, accumulate);
  case 3:
    return small::rows<T, I, 3>(ai, ars, acs, b, brs, bcs, ci, ldc, n0, n1, k, accumulate);
  case 4:
    return small::rows<T, I, 4>(ai, ars, acs, b, brs, bcs, ci, ldc, n0, n1, k, accumulate);
  default:
    return;
  }
}

} // namespace kiln::libjit
