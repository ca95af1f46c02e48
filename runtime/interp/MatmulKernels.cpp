// The matmul kernel: 2-D, or batched over a leading dimension, with transpose flags.
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/Gemm.h"
#include "kiln/runtime/interp/KernelFamilies.h"

namespace kiln::interp {

Tensor matmulKernel(const Tensor &a, const Tensor &b, bool transposeA, bool transposeB,
                    const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  const Shape &as = a.shape();
  size_t r = as.size();
  int64_t batch = r == 3 ? as[0] : 1;
  int64_t m = result.shape[r - 2], n = result.shape[r - 1];
  int64_t k = transposeA ? as[r - 2] : as[r - 1];
  visitFloat(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *pa = a.data<T>().data(), *pb = b.data<T>().data();
    T *pc = out.data<T>().data();
    for (int64_t i = 0; i < batch; ++i)
      gemm<T>(m, n, k, pa + i * m * k, transposeA, pb + i * k * n, transposeB, pc + i * m * n,
              /*accumulate=*/false);
  });
  return out;
}

} // namespace kiln::interp
