#include "kiln/passes/DataParallel.h"

#include "kiln/ir/Builder.h"

namespace kiln {

std::vector<ValueId> averageOverRanks(Graph &graph, const std::vector<ValueId> &grads,
                                      const DataParallel &dp) {
  if (dp.worldSize <= 1)
    return grads;
  std::vector<ValueId> averaged;
  for (ValueId g : grads) {
    IRBuilder b(graph, graph.node(g).scope);
    averaged.push_back(b.op(OpKind::AllReduce, {g}, {{"reduction", std::string("mean")}}));
  }
  return averaged;
}

void shardRandomStreams(Graph &graph, const DataParallel &dp) {
  if (dp.worldSize <= 1)
    return;
  for (Node &node : graph.mutableNodes())
    if (node.op == OpKind::RandomUniform)
      node.attrs.set("offset", node.attrs.getInt("offset", 0) +
                                   int64_t(dp.rank) * node.type.numElements());
}

} // namespace kiln
