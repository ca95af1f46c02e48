// dce: dead code elimination.
#pragma once

#include "kiln/passes/PassManager.h"

namespace kiln {

/// Removes every computation that no output or update depends on. Inputs and state are
/// kept even when unused: their order is the calling convention of every executor.
/// Returns whether it changed `graph`.
bool eliminateDeadCode(Graph &graph, PassContext &context);

/// live[v]: some output or update depends on v (inputs and state count as live).
std::vector<bool> liveValues(const Graph &graph);

} // namespace kiln
