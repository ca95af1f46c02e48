// The reference interpreter: runs a Graph node by node with the kernels of Kernels.h.
// It is the oracle every JIT result is tested against and the baseline the benchmarks
// compare with.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"

#include <span>
#include <vector>

namespace kiln {

class Interpreter {
public:
  /// Keeps a reference to `graph` (which must outlive the interpreter) and precomputes
  /// the last use of every value.
  explicit Interpreter(const Graph &graph);

  struct Result {
    std::vector<Tensor> outputs; ///< in graph.outputs() order
    std::vector<Tensor> updates; ///< new state values, in graph.updates() order
  };

  /// Memory held by the values of one run, in bytes (inputs and state included).
  struct RunStats {
    size_t peakLiveBytes = 0; ///< the most held at once
    size_t totalBytes = 0;    ///< the sum over all values: what keeping everything costs
  };

  /// Runs one step. `inputs` has one tensor per graph.inputs() (in that order), `state`
  /// one per graph.states(). Throws kiln::Error naming the input/state whose type does
  /// not match. Each intermediate tensor is released right after its last use.
  Result run(std::span<const Tensor> inputs, std::span<const Tensor> state) const;
  /// Like run, and reports the memory the values held.
  Result run(std::span<const Tensor> inputs, std::span<const Tensor> state, RunStats &stats) const;

  /// Every value of the graph, indexed by ValueId (for tests, debugging and gradient
  /// checks). Keeps everything alive, so it needs the memory of all values at once.
  std::vector<Tensor> runAll(std::span<const Tensor> inputs, std::span<const Tensor> state) const;

private:
  /// Evaluates the graph; when `release` is set, drops each value after its last use.
  std::vector<Tensor> execute(std::span<const Tensor> inputs, std::span<const Tensor> state,
                              bool release, RunStats &stats) const;

  const Graph &graph_;
  /// lastUse_[v]: the index of the last node reading v; graph size for values that are
  /// outputs or updates (they live to the end); v itself for values nobody reads.
  std::vector<size_t> lastUse_;
  /// releaseAfter_[i]: the values whose last use is node i.
  std::vector<std::vector<ValueId>> releaseAfter_;
};

} // namespace kiln
