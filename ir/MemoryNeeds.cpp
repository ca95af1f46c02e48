// Memory needs of a graph: a liveness sweep in node order.
#include "kiln/ir/MemoryNeeds.h"

#include <algorithm>

namespace kiln {

int64_t typeBytes(const Type &type) {
  return type.numElements() * static_cast<int64_t>(dtypeSize(type.dtype));
}

int64_t interfaceBytes(const Graph &graph) {
  int64_t bytes = 0;
  for (ValueId id : graph.inputs())
    bytes += typeBytes(graph.type(id));
  for (ValueId id : graph.states())
    bytes += typeBytes(graph.type(id));
  for (const Output &o : graph.outputs())
    bytes += typeBytes(graph.type(o.value));
  for (const Update &u : graph.updates())
    bytes += typeBytes(graph.type(u.value));
  return bytes;
}

int64_t peakLiveBytes(const Graph &graph) {
  size_t n = graph.size();
  std::vector<size_t> lastUse(n);
  for (size_t v = 0; v < n; ++v)
    lastUse[v] = v;
  for (size_t i = 0; i < n; ++i)
    for (ValueId operand : graph.node(static_cast<ValueId>(i)).operands)
      lastUse[static_cast<size_t>(operand)] = std::max(lastUse[static_cast<size_t>(operand)], i);
  for (ValueId id : graph.inputs())
    lastUse[static_cast<size_t>(id)] = n;
  for (ValueId id : graph.states())
    lastUse[static_cast<size_t>(id)] = n;
  for (const Output &o : graph.outputs())
    lastUse[static_cast<size_t>(o.value)] = n;
  for (const Update &u : graph.updates())
    lastUse[static_cast<size_t>(u.value)] = n;
  std::vector<int64_t> freedAfter(n + 1, 0);
  int64_t live = 0, peak = 0;
  for (ValueId id : graph.inputs())
    live += typeBytes(graph.type(id));
  for (ValueId id : graph.states())
    live += typeBytes(graph.type(id));
  for (size_t i = 0; i < n; ++i) {
    const Node &node = graph.node(static_cast<ValueId>(i));
    if (node.op != OpKind::Input && node.op != OpKind::State)
      live += typeBytes(node.type);
    peak = std::max(peak, live);
    freedAfter[lastUse[i]] += node.op == OpKind::Input || node.op == OpKind::State
                                  ? 0
                                  : typeBytes(node.type);
    live -= freedAfter[i];
  }
  return std::max(peak, live);
}

} // namespace kiln
