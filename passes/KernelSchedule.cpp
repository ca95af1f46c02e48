// Memory-aware list scheduling of fused groups.
//
// Algorithm:
//   1. readersLeft[v] = the number of groups that read buffer v.
//   2. Repeat: among the groups whose predecessors have all run, pick the most urgent
//      (collectives first, readers of their results last), then the one with the
//      smallest net allocation (bytes it writes minus bytes of the buffers whose last
//      reader it is), ties broken by the graph position of its last node; run it and
//      release its predecessors' hold on its successors.
// The ready set is small (a handful of groups), so each step scans it linearly.
#include "kiln/passes/KernelSchedule.h"

#include <algorithm>
#include <cassert>
#include <map>

namespace kiln::fusion {

std::vector<int> scheduleGroups(const std::vector<std::set<int>> &succ,
                                const std::vector<ScheduleItem> &items, const Graph &graph,
                                const std::vector<bool> &result, const std::vector<bool> &inPlace) {
  size_t n = items.size();
  std::map<ValueId, int> readersLeft;
  for (const ScheduleItem &item : items)
    for (ValueId v : item.reads)
      ++readersLeft[v];
  auto bytes = [&](ValueId v) {
    const Type &t = graph.type(v);
    return static_cast<int64_t>(t.numElements()) * static_cast<int64_t>(dtypeSize(t.dtype));
  };
  auto net = [&](int k) {
    int64_t delta = 0;
    for (ValueId v : items[k].writes)
      if (!inPlace[v])
        delta += bytes(v);
    for (ValueId v : items[k].reads)
      if (!result[v] && readersLeft[v] == 1)
        delta -= bytes(v);
    return delta;
  };
  std::vector<int> indegree(n, 0);
  for (size_t k = 0; k < n; ++k)
    for (int s : succ[k])
      ++indegree[s];
  std::vector<int> ready, order;
  for (size_t k = 0; k < n; ++k)
    if (!indegree[k])
      ready.push_back(static_cast<int>(k));
  while (!ready.empty()) {
    auto best = std::min_element(ready.begin(), ready.end(), [&](int a, int b) {
      if (items[a].urgency != items[b].urgency)
        return items[a].urgency < items[b].urgency;
      int64_t na = net(a), nb = net(b);
      return na != nb ? na < nb : items[a].key < items[b].key;
    });
    int k = *best;
    ready.erase(best);
    order.push_back(k);
    for (ValueId v : items[k].reads)
      --readersLeft[v];
    for (int s : succ[k])
      if (--indegree[s] == 0)
        ready.push_back(s);
  }
  assert(order.size() == n && "scheduling: the groups depend on each other in a cycle");
  return order;
}

} // namespace kiln::fusion
