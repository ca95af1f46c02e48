// Interpreter: one loop over the graph's nodes in order (operands always precede their
// users), with inputs and state taken from the arguments and every other value computed
// by evalNode. run() releases each intermediate after the node that last reads it, so a
// training step holds roughly the live activations rather than every value it made.
#include "kiln/runtime/interp/Interpreter.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/MemoryNeeds.h"
#include "kiln/runtime/Memory.h"
#include "kiln/runtime/interp/Kernels.h"

#include <algorithm>
#include <cassert>

namespace kiln {

namespace {
void checkArguments(const Graph &graph, const std::vector<ValueId> &ids,
                    std::span<const Tensor> given, const char *what) {
  if (given.size() != ids.size())
    fail("graph @{} has {} {}s, got {} tensors", graph.name(), ids.size(), what, given.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const Node &node = graph.node(ids[i]);
    if (!given[i].defined())
      fail("{} '{}' of graph @{}: the tensor has no storage", what, node.name, graph.name());
    if (given[i].type() != node.type)
      fail("{} '{}' of graph @{} expects {}, got {}", what, node.name, graph.name(),
           node.type.str(), given[i].type().str());
  }
}
} // namespace

Interpreter::Interpreter(const Graph &graph) : graph_(graph) {
  requireMemory(peakLiveBytes(graph), fmt::format("graph @{}", graph.name()));
  size_t n = graph.size();
  lastUse_.resize(n);
  for (size_t v = 0; v < n; ++v)
    lastUse_[v] = v;
  for (size_t i = 0; i < n; ++i)
    for (ValueId operand : graph.node(static_cast<ValueId>(i)).operands)
      lastUse_[operand] = std::max(lastUse_[operand], i);
  for (const Output &o : graph.outputs())
    lastUse_[o.value] = n;
  for (const Update &u : graph.updates())
    lastUse_[u.value] = n;
  releaseAfter_.resize(n);
  for (size_t v = 0; v < n; ++v)
    if (lastUse_[v] < n)
      releaseAfter_[lastUse_[v]].push_back(static_cast<ValueId>(v));
}

std::vector<Tensor> Interpreter::execute(std::span<const Tensor> inputs,
                                         std::span<const Tensor> state, bool release,
                                         RunStats &stats) const {
  checkArguments(graph_, graph_.inputs(), inputs, "input");
  checkArguments(graph_, graph_.states(), state, "state");
  std::vector<Tensor> values(graph_.size());
  std::vector<Tensor> operands;
  size_t nextInput = 0, nextState = 0, live = 0;
  stats = RunStats{};
  for (size_t i = 0; i < graph_.size(); ++i) {
    const Node &node = graph_.node(static_cast<ValueId>(i));
    if (node.op == OpKind::Input) {
      values[i] = inputs[nextInput++];
    } else if (node.op == OpKind::State) {
      values[i] = state[nextState++];
    } else {
      for (ValueId operand : node.operands) {
        assert(values[operand].defined() && "interpreter: operand released before its last use");
        operands.push_back(values[operand]);
      }
      values[i] = evalNode(node, operands);
      operands.clear(); // drop the extra references so the release below frees memory
    }
    live += values[i].byteSize();
    stats.totalBytes += values[i].byteSize();
    stats.peakLiveBytes = std::max(stats.peakLiveBytes, live);
    if (release)
      for (ValueId v : releaseAfter_[i]) {
        live -= values[v].byteSize();
        values[v] = Tensor();
      }
  }
  return values;
}

Interpreter::Result Interpreter::run(std::span<const Tensor> inputs,
                                     std::span<const Tensor> state) const {
  RunStats stats;
  return run(inputs, state, stats);
}

Interpreter::Result Interpreter::run(std::span<const Tensor> inputs, std::span<const Tensor> state,
                                     RunStats &stats) const {
  std::vector<Tensor> values = execute(inputs, state, /*release=*/true, stats);
  Result result;
  for (const Output &o : graph_.outputs())
    result.outputs.push_back(values[o.value]);
  for (const Update &u : graph_.updates())
    result.updates.push_back(values[u.value]);
  return result;
}

std::vector<Tensor> Interpreter::runAll(std::span<const Tensor> inputs,
                                        std::span<const Tensor> state) const {
  RunStats stats;
  return execute(inputs, state, /*release=*/false, stats);
}

} // namespace kiln
