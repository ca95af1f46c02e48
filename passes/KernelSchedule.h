// The order kernels run in: a list schedule over the kernels' dependences that keeps the
// bytes held by live buffers low (used by fusion, whose groups become the kernels).
#pragma once

#include "kiln/ir/Graph.h"

#include <set>
#include <vector>

namespace kiln::fusion {

/// What scheduling knows about one group: the values it writes to buffers, the values it
/// reads from other groups' buffers, a tie-break key (its last node in the graph) and
/// its urgency.
struct ScheduleItem {
  std::vector<ValueId> writes, reads;
  ValueId key = 0;
  /// Collectives start communication that the kernels after them hide, so a ready one
  /// runs first (Early); a group that reads a collective's result waits for it, so it
  /// runs only when nothing else is ready (Late). Everything else is Normal.
  enum class Urgency { Early, Normal, Late } urgency = Urgency::Normal;
};

/// Orders the groups: every group after its predecessors (`succ[k]` must run after k;
/// the edges must form no cycle). Among the ready groups of the most urgent kind
/// (ScheduleItem::Urgency) it picks the one that adds the
/// fewest live bytes (bytes written minus bytes of buffers it reads last; `result[v]`
/// values are never freed, and `inPlace[v]` values, new state values written over the
/// old, take no new bytes), then the one whose key comes first: forward kernels keep the
/// graph's order, and a kernel that consumes activations (a weight gradient with its
/// optimizer update) runs as soon as it can, freeing them.
std::vector<int> scheduleGroups(const std::vector<std::set<int>> &succ,
                                const std::vector<ScheduleItem> &items, const Graph &graph,
                                const std::vector<bool> &result, const std::vector<bool> &inPlace);

} // namespace kiln::fusion
