#include "kiln/passes/Rewriter.h"

#include <cassert>

namespace kiln {

GraphRewriter::GraphRewriter(const Graph &source)
    : source_(source), target_(source.name()), map_(source.size(), -1) {}

ValueId GraphRewriter::mapped(ValueId old) const {
  ValueId v = map_.at(static_cast<size_t>(old));
  assert(v >= 0 && "GraphRewriter: value used before it was mapped");
  return v;
}

void GraphRewriter::map(ValueId old, ValueId value) {
  assert(value >= 0 && static_cast<size_t>(value) < target_.size() &&
         "GraphRewriter: mapping to a value that is not in the target");
  map_.at(static_cast<size_t>(old)) = value;
}

ValueId GraphRewriter::copy(ValueId old) {
  const Node &node = source_.node(old);
  ValueId id;
  if (node.op == OpKind::Input) {
    id = target_.addInput(node.name, node.type, node.scope);
  } else if (node.op == OpKind::State) {
    id = target_.addState(node.name, node.type, node.attrs, node.scope);
  } else {
    std::vector<ValueId> operands;
    operands.reserve(node.operands.size());
    for (ValueId operand : node.operands)
      operands.push_back(mapped(operand));
    id = target_.add(node.op, std::move(operands), node.attrs, node.scope);
  }
  map(old, id);
  return id;
}

Graph GraphRewriter::finish() {
  for (const Output &o : source_.outputs())
    target_.addOutput(o.name, mapped(o.value));
  for (const Update &u : source_.updates())
    target_.addUpdate(mapped(u.state), mapped(u.value));
  return std::move(target_);
}

Graph rebuildGraph(const Graph &graph, const RewriteFn &rewrite,
                   const std::function<bool(ValueId)> &keep) {
  GraphRewriter rw(graph);
  for (size_t i = 0; i < graph.size(); ++i) {
    auto id = static_cast<ValueId>(i);
    OpKind op = graph.node(id).op;
    if (op == OpKind::Input || op == OpKind::State) {
      rw.copy(id);
      continue;
    }
    if (keep && !keep(id))
      continue;
    if (std::optional<ValueId> replacement = rewrite ? rewrite(rw, id) : std::nullopt)
      rw.map(id, *replacement);
    else
      rw.copy(id);
  }
  return rw.finish();
}

std::vector<int> useCounts(const Graph &graph) {
  std::vector<int> uses(graph.size(), 0);
  for (const Node &node : graph.nodes())
    for (ValueId operand : node.operands)
      ++uses[operand];
  for (const Output &o : graph.outputs())
    ++uses[o.value];
  for (const Update &u : graph.updates())
    ++uses[u.value];
  return uses;
}

} // namespace kiln
