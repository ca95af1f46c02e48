// Seeded random graphs for the JIT-vs-interpreter differential test (RandomGraphTest):
// every op class of the table on random shapes and attributes, built through
// Graph::add so the shape rules validate each node, and kept numerically tame by the
// facts of ValueFacts.h (no log of negatives, no overflow, no compare of values the
// two sides may round differently).
#pragma once

#include "TestGraph.h"

#include <cstdint>

namespace kiln::test {

/// Appends the random subgraph of `seed` to `test.graph`: its own inputs, nodes and
/// outputs, all named "s<seed>_...", sharing nothing with the rest of the graph (so
/// many subgraphs can be compiled at once and each checked on its own).
void appendRandomGraph(TestGraph &test, uint64_t seed);

} // namespace kiln::test
