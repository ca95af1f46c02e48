// cse: common subexpression elimination.
#pragma once

#include "kiln/passes/PassManager.h"

namespace kiln {

/// Merges computations with the same op, operands, attributes and type into the first
/// of them (whose scope is kept). Returns whether it changed `graph`.
bool eliminateCommonSubexpressions(Graph &graph, PassContext &context);

} // namespace kiln
