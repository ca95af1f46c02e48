// Data parallelism in the step graph (DESIGN §2: the whole step is one function). Each
// of N ranks runs the same train step on its part of the global batch:
//   - every parameter gradient is averaged over the ranks by an all_reduce (mean) placed
//     between the gradient and the optimizer update, so every rank applies the same
//     update to the same parameters;
//   - every random draw of a per-example value (dropout masks) reads this rank's part of
//     the stream of the global batch, so the masks do not depend on how the batch is
//     split (the frontend keeps the batch as the outermost dimension of activations).
// Batch-norm statistics stay per rank, as with PyTorch DDP's default.
#pragma once

#include "kiln/ir/Graph.h"

#include <vector>

namespace kiln {

struct DataParallel {
  int rank = 0;
  int worldSize = 1; ///< 1: the graph is left as it is
};

/// The all_reduce (mean) of each of `grads` when dp.worldSize > 1, else `grads`.
std::vector<ValueId> averageOverRanks(Graph &graph, const std::vector<ValueId> &grads,
                                      const DataParallel &dp);

/// Offsets every random_uniform of `graph` to rank dp.rank's part of the global batch's
/// stream: draw i of the rank is draw rank * elements + i of the global batch (after
/// the node's own offset, if it has one).
void shardRandomStreams(Graph &graph, const DataParallel &dp);

} // namespace kiln
