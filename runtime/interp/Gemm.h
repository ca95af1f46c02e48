// Internal to the interpreter: the one matrix product every contraction kernel
// (matmul, conv2d and its two backward ops) reduces to, backed by Eigen's GEMM.
#pragma once

#include <cstdint>

namespace kiln::interp {

/// C = op(A) * op(B), or C += op(A) * op(B) when `accumulate`. All matrices are dense
/// row-major: C is [m, n]; A is stored [m, k], or [k, m] when `transposeA`; B is stored
/// [k, n], or [n, k] when `transposeB`. Instantiated for float and double.
template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T *a, bool transposeA, const T *b, bool transposeB,
          T *c, bool accumulate);

} // namespace kiln::interp
