// Initial values of graph state from the `init` attributes the frontend records on each
// State node (PyTorch's default initializers), drawn from the counter-based generator so
// the same seed gives the same model in every backend.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"

namespace kiln {

/// The initial value of state node `id`: {init = "uniform", bound = b} draws U(-b, b);
/// "normal" N(0, std); "zeros", "ones", {init = "constant", value = v}. A node without
/// `init` is zero-filled. Element i of the k-th state draws from stream (seed, k, i).
Tensor initialState(const Graph &graph, ValueId id, uint64_t seed);

/// initialState for every state of the graph, in graph.states() order.
std::vector<Tensor> initialStates(const Graph &graph, uint64_t seed);

/// Stand-in inputs for timing a step graph without data: `lr` is 1e-3, float inputs
/// (pixels) uniform in [0, 1), integer inputs (labels) uniform below `classes`. Input k
/// draws element i from stream (seed, k, i).
std::vector<Tensor> syntheticInputs(const Graph &graph, int64_t classes, uint64_t seed);

} // namespace kiln
