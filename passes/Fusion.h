// fuse: partitions a graph's computations into kernels (see Fusion.cpp for the rules).
// Must be called after the graph passes (the default pipeline) for good kernels, but is
// correct on any graph that verifies.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/passes/KernelProgram.h"
#include "kiln/passes/PassManager.h"

#include <vector>

namespace kiln {

/// One future kernel: the graph nodes it evaluates and its loop structure.
struct FusionGroup {
  KernelKind kind = KernelKind::Loop;
  Shape space;               ///< see Kernel::space
  std::vector<int64_t> axes; ///< Reduction: the axes reduced per row
  ValueId main = -1;         ///< the node the kernel is named after
  /// In graph order; includes the cheap nodes recomputed in this kernel.
  std::vector<ValueId> members;
};

struct FusionPlan {
  std::vector<FusionGroup> groups; ///< in execution order
  /// home[v]: the group that computes v once and writes its buffer; -1 for inputs, state,
  /// constant data, dead values, and cheap values recomputed by every group that reads
  /// them and not needed as a result.
  std::vector<int> home;
  int64_t recomputedNodes = 0; ///< copies of cheap nodes beyond the first
  int64_t merges = 0;          ///< producer/consumer kernels merged after placement
};

/// Groups the live computations of `graph` into kernels and orders them; records
/// "kernels", "nodes fused" and "nodes recomputed" in `context` if given.
FusionPlan planFusion(const Graph &graph, PassContext *context = nullptr);

} // namespace kiln
