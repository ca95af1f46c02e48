// The rules that say which sets of graph nodes may form one kernel (used by Fusion.cpp;
// see FusionRules.cpp for the rules themselves).
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/passes/KernelProgram.h"

#include <functional>
#include <optional>
#include <vector>

namespace kiln::fusion {

/// How fusion treats an op: its category in the op table, with sources split by what
/// they cost (see nodeClass).
enum class NodeClass {
  Argument,     ///< input, state: a buffer owned by the caller
  Inline,       ///< splat constant, iota: recomputed wherever used, never worth a buffer
  ConstantData, ///< a constant with `data`: a constant buffer
  Elementwise,  ///< one result element from the same element of each operand
  Layout,       ///< moves or repeats elements (broadcast, reshape, transpose, ...)
  Reduction,    ///< reduce_*, argmax
  Contraction,  ///< matmul, conv2d and its backward ops
  Window,       ///< pooling and its backward ops
  Collective,   ///< all_reduce: the communicator's call, a kernel of its own
};

NodeClass nodeClass(const Node &node);

/// Cheap enough to recompute in every kernel that reads it rather than computing it
/// once into a buffer: inline sources, and layout ops of cost Free in the op table,
/// which only re-index a value (broadcast, reshape, transpose, slice, one_hot) —
/// reading through them costs what reading a materialized copy would, and saves
/// writing that copy.
bool recomputable(const Node &node);

/// A candidate kernel, as the rules see it.
struct KernelView {
  const Graph &graph;
  std::vector<ValueId> members; ///< sorted, no duplicates
  std::function<bool(ValueId)> isMember;
  std::function<bool(ValueId)> isOutput; ///< written to a buffer (read elsewhere, or a result)
  /// statesUpdatedBy[v]: the states whose new value is v.
  const std::vector<std::vector<ValueId>> &statesUpdatedBy;
};

struct KernelShape {
  KernelKind kind = KernelKind::Loop;
  Shape space;
  std::vector<int64_t> axes;
  ValueId main = -1;
};

/// The loop structure of the kernel if its members may be fused, std::nullopt if a rule
/// forbids it.
std::optional<KernelShape> checkKernel(const KernelView &view);

} // namespace kiln::fusion
