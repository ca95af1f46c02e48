// The textual form of a graph (DESIGN §6). Inputs and state are printed first, in
// declaration order; computations are numbered %0, %1, ... in order; each line ends
// with the node's scope as `@fc1/relu`. The parser reads exactly this form back, and
// print(parse(print(g))) == print(g).
#pragma once

#include "kiln/ir/Graph.h"

#include <string>

namespace kiln {

/// The whole graph as text:
///   graph @mlp.train {
///     input %x : f32[64,1,28,28]
///     state %fc1.weight : f32[256,784] {bound = 0.0357, init = "uniform"} @fc1
///     %0 = reshape(%x) {shape = [64,784]} : f32[64,784] @flatten
///     output loss = %7
///     update %fc1.weight <- %12
///   }
std::string printGraph(const Graph &graph);

} // namespace kiln
