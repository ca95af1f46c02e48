// The ranks of a data-parallel run each keep a replica of the model and optimizer state
// (runtime/dist): equal gradients keep them equal, and these check and re-align them.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/train/ParamStore.h"

#include <cstdint>

namespace kiln {

/// A 64-bit FNV-1a hash of every tensor of `store` (names, types and bytes, in name
/// order): equal stores, bit for bit, hash equally.
uint64_t stateFingerprint(const ParamStore &store);

/// A hash of a step graph's text: ranks that built different steps (another kiln
/// version, model file or flag) disagree on it.
uint64_t graphFingerprint(const Graph &graph);

/// Every rank takes rank 0's copy of the model's non-trainable state of `graph` (batch
/// norm's running statistics: each rank's own batches moved them, as in PyTorch DDP);
/// then kiln::Error on every rank unless all state is bitwise rank 0's (the parameters
/// and optimizer state can only differ through a fault).
void alignReplicas(const Graph &graph, ParamStore &store, const std::string &when);

} // namespace kiln
