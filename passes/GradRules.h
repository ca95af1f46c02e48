// The gradient rule of every op (one exhaustive switch over OpKind), used by the
// reverse-mode pass in Autodiff.cpp.
#pragma once

#include "kiln/ir/Builder.h"

#include <optional>
#include <vector>

namespace kiln {

/// Whether a gradient can flow from `node` into its operand `index` at all: the op is
/// differentiable, both values are floats, and the rule does not make it identically
/// zero (max_pool2d_grad is piecewise constant in its x operand).
bool passesGradient(const Graph &graph, const Node &node, size_t index);

/// Emits, through `b`, the contributions of `node` (whose value is `y` and whose loss
/// gradient is `dy`) to the gradients of its operands. `needed[k]` says whether operand k
/// wants one; the result has one entry per operand, std::nullopt where nothing flows or
/// nothing was asked for. `node` must be a copy: emitting nodes may move the graph's.
std::vector<std::optional<ValueId>> gradientRule(IRBuilder &b, const Node &node, ValueId y,
                                                 ValueId dy, const std::vector<bool> &needed);

} // namespace kiln
