// The interpreter's kernels: one plain, obviously-correct implementation of every op,
// used by the Interpreter (the oracle JIT results are tested against) and by constant
// folding.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"

#include <span>

namespace kiln {

/// Runs one node's kernel on its operand values (in node order); returns a tensor of
/// node.type that never shares storage with an operand. Throws kiln::Error if the
/// operands do not give node.type under the op's shape rule, and for Input and State,
/// whose values come from the caller rather than a kernel.
Tensor evalNode(const Node &node, std::span<const Tensor> operands);

} // namespace kiln
