// Splat constants: the `constant {dtype, shape, value}` form that stands for a tensor of
// one repeated value. Simplify, constant folding and fusion recognize them here.
#pragma once

#include "kiln/ir/Graph.h"

#include <optional>

namespace kiln {

/// The attributes of a splat constant of `type` holding `value`.
Attrs splatAttrs(const Type &type, double value);

/// True for a `constant` node with a `value` (not `data`) attribute.
bool isSplatConstant(const Node &node);

/// The one value every element of `v` has, when the graph says so statically: a splat
/// constant, a data constant whose elements are all equal, or a broadcast, reshape or
/// transpose of one of those.
std::optional<double> splatValue(const Graph &graph, ValueId v);

} // namespace kiln
