// What a kernel of the program costs, counted from its fused expression and its buffers,
// for rating measured kernel times (`kiln profile`): floating-point operations (a
// multiply-add is two; a libm call, a comparison or a select one) and the bytes it moves
// (every input buffer read once and every output buffer written once: the least any
// schedule moves).
#pragma once

#include "kiln/passes/KernelProgram.h"

namespace kiln {

struct KernelCost {
  double flops = 0;
  double bytes = 0;
};

KernelCost kernelCost(const KernelProgram &program, const Kernel &kernel);

/// FLOPs of one node whose operands have `operands` types.
double nodeFlops(const Node &node, const std::vector<Type> &operands);

} // namespace kiln
