// simplify: algebraic identities on the graph (see Simplify.cpp for the rules).
#pragma once

#include "kiln/passes/PassManager.h"

namespace kiln {

/// Rewrites identities in one sweep; the default pipeline repeats it with constant
/// folding, CSE and DCE until nothing changes. Replaced nodes are left for DCE. Works on
/// any graph that verifies; returns whether it changed `graph`.
bool simplifyGraph(Graph &graph, PassContext &context);

} // namespace kiln
