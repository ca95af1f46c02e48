#include "kiln/runtime/train/Executor.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/Communicator.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/train/JitExecutor.h"

#include <fmt/core.h>

namespace kiln {

namespace {

class InterpreterExecutor : public Executor {
public:
  explicit InterpreterExecutor(Graph graph) : graph_(std::move(graph)), interpreter_(graph_) {}

  const Graph &graph() const override { return graph_; }

  std::vector<Tensor> run(std::span<const Tensor> inputs, ParamStore &store) override {
    std::vector<Tensor> state = store.gather(graph_);
    Interpreter::Result result = interpreter_.run(inputs, state);
    for (size_t i = 0; i < graph_.updates().size(); ++i)
      store.set(graph_.node(graph_.updates()[i].state).name, std::move(result.updates[i]));
    return std::move(result.outputs);
  }

private:
  Graph graph_;
  Interpreter interpreter_;
};

} // namespace

Backend parseBackend(std::string_view name) {
  if (name == "interp")
    return Backend::Interp;
  if (name == "jit")
    return Backend::Jit;
  fail("unknown backend '{}' (choices: interp, jit)", name);
}

std::unique_ptr<Executor> makeExecutor(Backend backend, Graph graph) {
  switch (backend) {
  case Backend::Interp:
    return std::make_unique<InterpreterExecutor>(std::move(graph));
  case Backend::Jit:
    return makeJitExecutor(std::move(graph));
  }
  fail("unknown backend");
}

Executor &StepCache::forBatch(int64_t batch) {
  auto it = cache_.find(batch);
  if (it == cache_.end()) {
    it = cache_.emplace(batch, makeExecutor(backend_, build_(batch))).first;
    // Compile time and cache hit or miss of each JIT variant (issue 5).
    if (std::string report = compileReport(*it->second); !report.empty() && leadRank())
      fmt::print(stderr, "[jit] {}\n", report);
  }
  return *it->second;
}

} // namespace kiln
