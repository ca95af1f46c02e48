// Train step (ms) of the zoo's MNIST models at batch 64 on the interpreter and the JIT,
// and eval throughput (compile times: CompileBench.cpp).
#include "BenchUtil.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <malloc.h>

namespace kiln::bench {
namespace {

constexpr int64_t kBatch = 64;

codegen::JitOptions noCache() {
  codegen::JitOptions options;
  options.useCache = false;
  return options;
}

void trainStep(benchmark::State &state, const std::string &model, bool jit) {
  Graph graph = buildStageGraph(model, Stage::Train, kBatch);
  std::vector<Tensor> params = initialStates(graph, 1);
  std::vector<Tensor> inputs = stepInputs(graph);
  std::unique_ptr<codegen::CompiledGraph> compiled;
  std::unique_ptr<Interpreter> interpreter;
  if (jit)
    compiled = codegen::CompiledGraph::compile(graph, noCache());
  else
    interpreter = std::make_unique<Interpreter>(graph);
  for (auto _ : state) {
    if (jit)
      benchmark::DoNotOptimize(compiled->run(inputs, params));
    else
      benchmark::DoNotOptimize(interpreter->run(inputs, params));
  }
  state.counters["images/s"] =
      benchmark::Counter(double(kBatch), benchmark::Counter::kIsIterationInvariantRate);
  if (compiled && compiled->profile())
    std::fprintf(stderr, "%s: %s", model.c_str(), compiled->profile()->report().c_str());
}

void evalStep(benchmark::State &state, const std::string &model, bool jit) {
  constexpr int64_t kEvalBatch = 1000;
  Graph graph = buildStageGraph(model, Stage::Eval, kEvalBatch);
  std::vector<Tensor> params = initialStates(graph, 1);
  std::vector<Tensor> inputs = stepInputs(graph);
  std::unique_ptr<codegen::CompiledGraph> compiled;
  std::unique_ptr<Interpreter> interpreter;
  if (jit)
    compiled = codegen::CompiledGraph::compile(graph, noCache());
  else
    interpreter = std::make_unique<Interpreter>(graph);
  for (auto _ : state) {
    if (jit)
      benchmark::DoNotOptimize(compiled->run(inputs, params));
    else
      benchmark::DoNotOptimize(interpreter->run(inputs, params));
  }
  state.counters["images/s"] =
      benchmark::Counter(double(kEvalBatch), benchmark::Counter::kIsIterationInvariantRate);
}

void registerAll() {
  for (const char *model : {"mlp", "cnn", "icnn", "lstm", "vit"}) {
    for (bool jit : {false, true}) {
      std::string backend = jit ? "jit" : "interp";
      benchmark::RegisterBenchmark(("train_step/" + std::string(model) + "/" + backend).c_str(),
                                   trainStep, model, jit)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(1.0);
      benchmark::RegisterBenchmark(("eval_1000/" + std::string(model) + "/" + backend).c_str(),
                                   evalStep, model, jit)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(1.0);
    }
  }
}

/// The JIT keeps freed memory in the process (CompiledGraph: fresh tensors would
/// otherwise page-fault every step); give the interpreter the same allocator policy
/// from the start, so both backends are measured alike.
const bool allocatorPolicy = [] {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}();

const bool registered = (registerAll(), true);

} // namespace
} // namespace kiln::bench
