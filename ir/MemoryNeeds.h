// What running a graph needs in memory, from its types alone, so a graph too large for
// the machine is refused before anything is allocated (runtime/Memory.h compares it with
// what the machine has).
#pragma once

#include "kiln/ir/Graph.h"

#include <cstdint>

namespace kiln {

/// Bytes of a value of type `type` (at most 2^40 elements of 8 bytes: no overflow).
int64_t typeBytes(const Type &type);

/// Bytes of the graph's inputs, state, outputs and updates.
int64_t interfaceBytes(const Graph &graph);

/// The most bytes live at once when the nodes run in order and each value is freed after
/// its last reader, as the interpreter runs them; inputs and state count throughout,
/// outputs and updates from their definition on.
int64_t peakLiveBytes(const Graph &graph);

} // namespace kiln
