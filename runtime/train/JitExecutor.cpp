// JitExecutor: gathers the state from the store, runs the compiled step, writes every
// update back (as the interpreter executor does).
#include "kiln/runtime/train/JitExecutor.h"

#include "kiln/codegen/CompiledGraph.h"

#include <fmt/format.h>

namespace kiln {

namespace {

class JitExecutor : public Executor {
public:
  explicit JitExecutor(Graph graph)
      : compiled_(codegen::CompiledGraph::compile(std::move(graph))) {}

  const Graph &graph() const override { return compiled_->graph(); }

  std::vector<Tensor> run(std::span<const Tensor> inputs, ParamStore &store) override {
    const Graph &g = compiled_->graph();
    std::vector<Tensor> state = store.gather(g);
    codegen::CompiledGraph::Result result = compiled_->run(inputs, state);
    for (size_t i = 0; i < g.updates().size(); ++i)
      store.set(g.node(g.updates()[i].state).name, std::move(result.updates[i]));
    return std::move(result.outputs);
  }

  std::string report() const {
    const codegen::CompileStats &s = compiled_->stats();
    return fmt::format("compiled @{} in {:.0f} ms (cache {}), {} kernels in {} stages ({} "
                       "distinct), arena {:.1f} MB, {}, {} threads\n  {}",
                       compiled_->graph().name(), s.milliseconds, s.cacheHit ? "hit" : "miss",
                       s.kernels, s.stages, s.kernelBodies, double(s.arenaBytes) / 1e6, s.host,
                       s.workers, s.phaseSummary());
  }

private:
  std::unique_ptr<codegen::CompiledGraph> compiled_;
};

} // namespace

std::unique_ptr<Executor> makeJitExecutor(Graph graph) {
  return std::make_unique<JitExecutor>(std::move(graph));
}

std::string compileReport(const Executor &executor) {
  if (auto *jit = dynamic_cast<const JitExecutor *>(&executor))
    return jit->report();
  return "";
}

} // namespace kiln
