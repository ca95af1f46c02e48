// lower: turns a graph and its fusion plan into the kernel program (DESIGN §6).
#pragma once

#include "kiln/passes/Fusion.h"
#include "kiln/passes/KernelProgram.h"
#include "kiln/passes/PassManager.h"

namespace kiln {

/// Builds the kernel program of `graph` grouped by `plan` (from planFusion on the same
/// graph): one buffer per input and state (in the graph's order), per constant-data node
/// read, and per value a group writes; one kernel per group, in the plan's order.
KernelProgram lowerToProgram(const Graph &graph, const FusionPlan &plan);

/// planFusion + lowerToProgram, counting fusion statistics under "fuse" in `stats` when
/// given. The graph should have been through the default pipeline first.
KernelProgram lowerGraph(const Graph &graph, Statistics *stats = nullptr);

} // namespace kiln
