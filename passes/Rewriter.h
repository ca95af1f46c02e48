// GraphRewriter: rebuilds a Graph node by node with a value map, so that passes can
// replace and remove nodes of a graph that is append-only. Inputs and state are copied
// in their original order, even when unused (their order is the calling convention of
// every executor); names, scopes, outputs and updates are carried over through the map.
#pragma once

#include "kiln/ir/Graph.h"

#include <functional>
#include <optional>
#include <vector>

namespace kiln {

class GraphRewriter {
public:
  /// Starts an empty target graph with the source's name. `source` must outlive the
  /// rewriter.
  explicit GraphRewriter(const Graph &source);

  const Graph &source() const { return source_; }
  /// The graph being built; new nodes may be appended to it directly.
  Graph &target() { return target_; }
  const Graph &target() const { return target_; }

  /// The target value that stands for source value `old` (which must be mapped).
  ValueId mapped(ValueId old) const;
  bool isMapped(ValueId old) const { return map_.at(static_cast<size_t>(old)) >= 0; }
  /// Makes source value `old` stand for target value `value`.
  void map(ValueId old, ValueId value);

  /// Appends a copy of source node `old` with its operands mapped, maps it and returns
  /// the new id.
  ValueId copy(ValueId old);
  /// Appends a new node to the target (operands are target ids).
  ValueId add(OpKind op, std::vector<ValueId> operands, Attrs attrs, std::string scope) {
    return target_.add(op, std::move(operands), std::move(attrs), std::move(scope));
  }

  /// Adds the source's outputs and updates through the map and returns the target.
  /// Every value an output or update refers to must be mapped.
  Graph finish();

private:
  const Graph &source_;
  Graph target_;
  std::vector<ValueId> map_;
};

/// Decides what a source computation becomes: a target value (an existing one, which
/// replaces the node, or new nodes appended through the rewriter), or std::nullopt to
/// copy the node unchanged.
using RewriteFn = std::function<std::optional<ValueId>(GraphRewriter &, ValueId old)>;

/// Rebuilds `graph`: inputs and state are copied in order; for every computation, in
/// order, `rewrite` is asked first. `keep(old)` (when given) says whether a computation
/// is kept at all; a dropped node must not be used by a kept node, output or update.
Graph rebuildGraph(const Graph &graph, const RewriteFn &rewrite,
                   const std::function<bool(ValueId)> &keep = {});

/// How many times each value is read: by operands, outputs and updates.
std::vector<int> useCounts(const Graph &graph);

} // namespace kiln
