// Eigen-backed GEMM on row-major buffers. The four transpose combinations are spelled
// out so Eigen sees static expression types and picks its blocked kernels.
#include "kiln/runtime/interp/Gemm.h"

#include <Eigen/Core>

namespace kiln::interp {

namespace {
template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <typename T, typename A, typename B>
void product(Eigen::Map<RowMajor<T>> &c, const A &a, const B &b, bool accumulate) {
  if (accumulate)
    c.noalias() += a * b;
  else
    c.noalias() = a * b;
}
} // namespace

template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T *a, bool transposeA, const T *b, bool transposeB,
          T *c, bool accumulate) {
  using Eigen::Index;
  Eigen::Map<RowMajor<T>> cm(c, Index(m), Index(n));
  if (m == 0 || n == 0)
    return;
  if (k == 0) {
    if (!accumulate)
      cm.setZero();
    return;
  }
  Eigen::Map<const RowMajor<T>> am(a, Index(transposeA ? k : m), Index(transposeA ? m : k));
  Eigen::Map<const RowMajor<T>> bm(b, Index(transposeB ? n : k), Index(transposeB ? k : n));
  if (transposeA && transposeB)
    product(cm, am.transpose(), bm.transpose(), accumulate);
  else if (transposeA)
    product(cm, am.transpose(), bm, accumulate);
  else if (transposeB)
    product(cm, am, bm.transpose(), accumulate);
  else
    product(cm, am, bm, accumulate);
}

template void gemm<float>(int64_t, int64_t, int64_t, const float *, bool, const float *, bool,
                          float *, bool);
template void gemm<double>(int64_t, int64_t, int64_t, const double *, bool, const double *, bool,
                           double *, bool);

} // namespace kiln::interp
