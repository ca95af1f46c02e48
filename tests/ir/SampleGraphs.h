// Graphs the IR tests share: one example node for every op of the op table, and a small
// training-step-shaped graph with inputs, state, scopes, outputs and updates.
#pragma once

#include "kiln/ir/Graph.h"

namespace kiln::test {

/// Appends one valid `op` node (with any inputs it needs) to `graph` and returns it.
/// An exhaustive switch over OpKind: a new op fails to compile until it has an example.
ValueId addOpExample(Graph &graph, OpKind op);

/// A graph holding addOpExample of every op in kOpInfos.
Graph allOpsGraph();

/// A tiny linear-regression training step: inputs, state with init attributes, scoped
/// computations, a loss output and an SGD update.
Graph trainStepGraph();

} // namespace kiln::test
