// Reverse-mode automatic differentiation on the graph IR.
#pragma once

#include "kiln/ir/Graph.h"

#include <vector>

namespace kiln {

/// Appends to `graph` the nodes computing d(loss)/d(v) for each v in `wrt` (reverse mode),
/// and returns their ids in the same order. `loss` must be a float scalar (f32[] or f64[]).
/// A value the loss does not depend on gets a zero constant of its type. Only nodes on a path
/// from some wrt to the loss get gradient nodes (so frozen parameters not in wrt cost nothing).
/// Fan-out contributions are summed; gradients flow back through broadcasts as reduce_sum.
/// New nodes get the scope "<forward node scope>/grad" (or "grad" if empty).
/// Throws kiln::Error if `loss` is not a float scalar or a `wrt` value is not a float.
std::vector<ValueId> differentiate(Graph &graph, ValueId loss, const std::vector<ValueId> &wrt);

} // namespace kiln
