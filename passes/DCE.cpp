// dce: dead code elimination.
//
// Algorithm:
//   1. Mark the values of outputs and updates live; walk the nodes backwards (operands
//      precede users, so one reverse sweep suffices) marking the operands of live nodes.
//   2. Rebuild the graph without the unmarked computations; inputs and state stay.
#include "kiln/passes/DCE.h"

#include "kiln/passes/Rewriter.h"

namespace kiln {

std::vector<bool> liveValues(const Graph &graph) {
  std::vector<bool> live(graph.size(), false);
  for (const Output &o : graph.outputs())
    live[o.value] = true;
  for (const Update &u : graph.updates())
    live[u.value] = true;
  for (size_t i = graph.size(); i-- > 0;) {
    const Node &node = graph.node(static_cast<ValueId>(i));
    if (node.op == OpKind::Input || node.op == OpKind::State)
      live[i] = true;
    if (live[i])
      for (ValueId operand : node.operands)
        live[operand] = true;
  }
  return live;
}

bool eliminateDeadCode(Graph &graph, PassContext &context) {
  std::vector<bool> live = liveValues(graph);
  int64_t dead = 0;
  for (bool l : live)
    dead += !l;
  context.count("nodes removed", dead);
  if (!dead)
    return false;
  graph = rebuildGraph(graph, nullptr, [&](ValueId id) { return live[id]; });
  return true;
}

} // namespace kiln
