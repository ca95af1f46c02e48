// Executor: runs one compiled step of a graph against a ParamStore. The interpreter is
// one implementation; the JIT plugs in behind the same interface.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"
#include "kiln/runtime/train/ParamStore.h"

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

namespace kiln {

enum class Backend { Interp, Jit };

/// "interp" -> Backend::Interp, "jit" -> Backend::Jit; kiln::Error listing the choices
/// otherwise.
Backend parseBackend(std::string_view name);

class Executor {
public:
  virtual ~Executor() = default;
  virtual const Graph &graph() const = 0;
  /// One step: `inputs` in graph.inputs() order; state is read from `store` and every
  /// update is written back to it. Returns the outputs in graph.outputs() order.
  virtual std::vector<Tensor> run(std::span<const Tensor> inputs, ParamStore &store) = 0;
};

std::unique_ptr<Executor> makeExecutor(Backend backend, Graph graph);

/// The compiled variants of one step function, keyed by batch size (DESIGN §3: static
/// shapes; a last partial batch gets its own variant, nothing is padded).
class StepCache {
public:
  StepCache(Backend backend, std::function<Graph(int64_t batch)> build)
      : backend_(backend), build_(std::move(build)) {}
  Executor &forBatch(int64_t batch);
  size_t variants() const { return cache_.size(); }

private:
  Backend backend_;
  std::function<Graph(int64_t)> build_;
  std::map<int64_t, std::unique_ptr<Executor>> cache_;
};

} // namespace kiln
