// Helpers of kiln's benchmarks: seeded arguments for a graph, single-op graphs, and the
// step graphs of the zoo models with their data.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Random.h"
#include "kiln/runtime/Tensor.h"

#include <cmath>
#include <string>
#include <vector>

namespace kiln::bench {

/// Seeded values: floats uniform in [lo, hi), ints in [0, intLimit).
inline Tensor randomTensor(const Type &type, uint64_t stream, double lo = -1, double hi = 1,
                           int64_t intLimit = 10) {
  Tensor t = Tensor::uninitialized(type);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double u = uniformFloat(42, stream, static_cast<uint64_t>(i));
    t.set(i, isFloat(type.dtype) ? lo + (hi - lo) * u : std::floor(u * double(intLimit)));
  }
  return t;
}

/// Random arguments for every input and state of a (single-op) graph.
inline void randomArguments(const Graph &graph, std::vector<Tensor> &inputs,
                            std::vector<Tensor> &state) {
  uint64_t stream = 0;
  for (ValueId id : graph.inputs())
    inputs.push_back(randomTensor(graph.type(id), ++stream));
  for (ValueId id : graph.states())
    state.push_back(randomTensor(graph.type(id), ++stream));
}

/// A graph computing y = op(inputs with the types of `operands`) {attrs}.
inline Graph singleOp(OpKind op, const std::vector<Type> &operands, const Attrs &attrs) {
  Graph g("bench");
  std::vector<ValueId> ids;
  for (size_t i = 0; i < operands.size(); ++i)
    ids.push_back(g.addInput("in" + std::to_string(i), operands[i]));
  g.addOutput("y", g.add(op, ids, attrs));
  return g;
}

} // namespace kiln::bench
