// libjit's entry points: the C functions generated code calls, one per kernel, dtype and
// ISA (kiln_gemm_f32_avx2, ...). Every entry is always_inline: the code generator calls
// it with constant shapes, LLVM inlines it and folds the shapes into the loops. This file
// is compiled by clang to LLVM bitcode at build time (never by the host compiler) and
// embedded into kiln_codegen; see codegen/LibJit.cpp.
#include "kiln/codegen/libjit/Conv.h"
#include "kiln/codegen/libjit/ConvShifted.h"
#include "kiln/codegen/libjit/Gemm.h"
#include "kiln/codegen/libjit/GemmSmallRows.h"
#include "kiln/codegen/libjit/Pool.h"
#include "kiln/runtime/Random.h"

#define KILN_ENTRY extern "C" __attribute__((always_inline))

using kiln::libjit::ConvShape;
using kiln::libjit::Index;
using kiln::libjit::Isa;
using kiln::libjit::PoolShape;

#define KILN_CONV_PARAMS                                                                           \
  Index n, Index c, Index h, Index w, Index o, Index kh, Index kw, Index ho, Index wo, Index sh,   \
      Index sw, Index ph, Index pw, Index dh, Index dw, Index groups
#define KILN_CONV_SHAPE                                                                            \
  ConvShape { n, c, h, w, o, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw, groups }

// C[batch][m x n] (+)= A B; A(i, p) = a[i*ars + p*acs], B(p, j) = b[p*brs + j*bcs], C row-major.
// Work item `item` is one (batch, mItem rows, nItem columns) block of C.
#define KILN_GEMM_ENTRY(T, SUFFIX, ISA)                                                            \
  KILN_ENTRY void kiln_gemm_##SUFFIX(const T *a, Index ars, Index acs, Index aBatch, const T *b,   \
                                     Index brs, Index bcs, Index bBatch, T *c, Index cBatch,       \
                                     Index m, Index n, Index k, Index mItem, Index nItem,          \
                                     Index accumulate, Index item, T *scratch) {                   \
    using namespace kiln::libjit;                                                                  \
    Index mBlocks = ceilDiv(m, mItem), nBlocks = ceilDiv(n, nItem);                                \
    Index batch = item / (mBlocks * nBlocks), rest = item - batch * mBlocks * nBlocks;             \
    Index mi = rest / nBlocks, ni = rest - mi * nBlocks;                                           \
    Index m0 = mi * mItem, n0 = ni * nItem;                                                        \
    Index m1 = minIndex(m, m0 + mItem), n1 = minIndex(n, n0 + nItem);                              \
    if (gemmSmallRowsApplies(m1 - m0, acs, brs, bcs)) {                                            \
      gemmSmallRows<T, ISA>(a + batch * aBatch, ars, acs, b + batch * bBatch, brs, bcs,            \
                            c + batch * cBatch, n, m0, m1, n0, n1, k, int(accumulate));            \
      return;                                                                                      \
    }                                                                                              \
    StridedA<T, ISA> pa{a + batch * aBatch, ars, acs};                                             \
    StridedB<T, ISA> pb{b + batch * bBatch, brs, bcs};                                             \
    gemmBlocked<T, ISA>(pa, pb, c + batch * cBatch, n, m0, m1, n0, n1, k, int(accumulate),         \
                        scratch, m, n);                                                            \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_##SUFFIX(const T *x, const T *wt, T *y, KILN_CONV_PARAMS,            \
                                       Index item, T *scratch) {                                   \
    kiln::libjit::convForward<T, ISA>(x, wt, y, KILN_CONV_SHAPE, item, scratch);                   \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_input_grad_##SUFFIX(const T *dy, const T *wt, T *dx,                 \
                                                  KILN_CONV_PARAMS, Index item, T *scratch) {      \
    kiln::libjit::convInputGrad<T, ISA>(dy, wt, dx, KILN_CONV_SHAPE, item, scratch);               \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_filter_grad_##SUFFIX(const T *x, const T *dy, T *parts,              \
                                                   KILN_CONV_PARAMS, Index imagesPerChunk,         \
                                                   Index item, T *scratch) {                       \
    kiln::libjit::convFilterGrad<T, ISA>(x, dy, parts, KILN_CONV_SHAPE, imagesPerChunk, item,      \
                                         scratch);                                                 \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_pack_s1_##SUFFIX(const T *wt, T *packed, KILN_CONV_PARAMS) {         \
    kiln::libjit::packForwardFilter<T, ISA>(wt, packed, KILN_CONV_SHAPE);                          \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_input_grad_pack_s1_##SUFFIX(const T *wt, T *packed,                  \
                                                          KILN_CONV_PARAMS) {                      \
    kiln::libjit::packInputGradFilter<T, ISA>(wt, packed, KILN_CONV_SHAPE);                        \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_s1_##SUFFIX(const T *x, const T *wt, T *y, KILN_CONV_PARAMS,         \
                                          Index item, T *scratch) {                                \
    kiln::libjit::convForwardShifted<T, ISA>(x, wt, y, KILN_CONV_SHAPE, item, scratch);            \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_input_grad_s1_##SUFFIX(const T *dy, const T *wt, T *dx,              \
                                                     KILN_CONV_PARAMS, Index item, T *scratch) {   \
    kiln::libjit::convInputGradShifted<T, ISA>(dy, wt, dx, KILN_CONV_SHAPE, item, scratch);        \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_filter_grad_s1_##SUFFIX(const T *x, const T *dy, T *parts,           \
                                                      KILN_CONV_PARAMS, Index imagesPerChunk,      \
                                                      Index item, T *scratch) {                    \
    kiln::libjit::convFilterGradShifted<T, ISA>(x, dy, parts, KILN_CONV_SHAPE, imagesPerChunk,     \
                                                item, scratch);                                    \
  }

KILN_GEMM_ENTRY(float, f32_avx512, Isa::Avx512)
KILN_GEMM_ENTRY(float, f32_avx2, Isa::Avx2)
KILN_GEMM_ENTRY(float, f32_generic, Isa::Generic)
KILN_GEMM_ENTRY(double, f64_avx512, Isa::Avx512)
KILN_GEMM_ENTRY(double, f64_avx2, Isa::Avx2)
KILN_GEMM_ENTRY(double, f64_generic, Isa::Generic)

#define KILN_POOL_PARAMS                                                                           \
  Index h, Index w, Index ho, Index wo, Index kh, Index kw, Index sh, Index sw, Index ph,          \
      Index pw, Index p0, Index p1
#define KILN_POOL_SHAPE                                                                            \
  PoolShape { h, w, ho, wo, kh, kw, sh, sw, ph, pw }

// Pooling over planes [p0, p1); the sum of `chunks` partial results over [begin, end).
#define KILN_DTYPE_ENTRY(T, SUFFIX)                                                                \
  KILN_ENTRY void kiln_max_pool_##SUFFIX(const T *x, T *y, KILN_POOL_PARAMS) {                     \
    kiln::libjit::maxPool(x, y, KILN_POOL_SHAPE, p0, p1);                                          \
  }                                                                                                \
  KILN_ENTRY void kiln_max_pool_grad_##SUFFIX(const T *x, const T *dy, T *dx, KILN_POOL_PARAMS) {  \
    kiln::libjit::maxPoolGrad(x, dy, dx, KILN_POOL_SHAPE, p0, p1);                                 \
  }                                                                                                \
  KILN_ENTRY void kiln_avg_pool_##SUFFIX(const T *x, T *y, KILN_POOL_PARAMS) {                     \
    kiln::libjit::avgPool(x, y, KILN_POOL_SHAPE, p0, p1);                                          \
  }                                                                                                \
  KILN_ENTRY void kiln_avg_pool_grad_##SUFFIX(const T *dy, T *dx, KILN_POOL_PARAMS) {              \
    kiln::libjit::avgPoolGrad(dy, dx, KILN_POOL_SHAPE, p0, p1);                                    \
  }                                                                                                \
  KILN_ENTRY void kiln_conv2d_filter_grad_sum_s1_##SUFFIX(const T *parts, T *dw, Index chunks,     \
                                                          Index groups, Index k, Index og,         \
                                                          Index rows, Index cols) {                \
    kiln::libjit::sumTransposedChunks(parts, dw, chunks, groups, k, og, rows, cols);               \
  }                                                                                                \
  KILN_ENTRY void kiln_sum_chunks_##SUFFIX(const T *parts, T *out, Index chunks, Index size,       \
                                           Index begin, Index end) {                               \
    for (Index i = begin; i < end; ++i) {                                                          \
      T sum = parts[i];                                                                            \
      for (Index chunk = 1; chunk < chunks; ++chunk)                                               \
        sum += parts[chunk * size + i];                                                            \
      out[i] = sum;                                                                                \
    }                                                                                              \
  }

KILN_DTYPE_ENTRY(float, f32)
KILN_DTYPE_ENTRY(double, f64)

/// Element `index` of random_uniform(seed) at counter `step`: Philox4x32-10 exactly as
/// runtime/Random.h's uniformFloat computes it (the differential tests compare every
/// bit), written out here with plain scalars so that, inlined into a loop, it vectorizes
/// (clang would not inline Random.h's std::array version into every call site).
extern "C" __attribute__((always_inline)) float
kiln_uniform(unsigned long long seed, unsigned long long step, unsigned long long index) {
  constexpr unsigned kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr unsigned kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  unsigned c0 = unsigned(index), c1 = unsigned(index >> 32), c2 = unsigned(step),
           c3 = unsigned(step >> 32);
  unsigned k0 = unsigned(seed), k1 = unsigned(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    unsigned long long p0 = (unsigned long long)kMul0 * c0;
    unsigned long long p1 = (unsigned long long)kMul1 * c2;
    unsigned n0 = unsigned(p1 >> 32) ^ c1 ^ k0, n2 = unsigned(p0 >> 32) ^ c3 ^ k1;
    c1 = unsigned(p1);
    c3 = unsigned(p0);
    c0 = n0;
    c2 = n2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return float(c0 >> 8) * (1.0f / 16777216.0f);
}
