#include "kiln/runtime/Communicator.h"
#include "kiln/runtime/interp/KernelFamilies.h"

namespace kiln::interp {

Tensor allReduceKernel(const Tensor &x, bool mean) {
  Tensor out = Tensor::uninitialized(x.type());
  allReduce(x.raw(), out.raw(), x.numElements(), x.dtype(), mean);
  return out;
}

} // namespace kiln::interp
