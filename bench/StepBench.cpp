// Train step (ms) of the zoo's MNIST models at batch 64 on the interpreter and the JIT,
// eval throughput, and the JIT's compile time cold and from the disk cache.
#include "BenchUtil.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <malloc.h>
#include <filesystem>

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

/// Cold: no cache. Cached: the object comes from a warm cache directory.
void compileTime(benchmark::State &state, const std::string &model, bool cached) {
  Graph graph = buildStageGraph(model, Stage::Train, kBatch);
  codegen::JitOptions options = noCache();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "kiln-bench-cache";
  if (cached) {
    options.useCache = true;
    options.cacheDir = dir;
    codegen::CompiledGraph::compile(graph, options); // warm it
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(codegen::CompiledGraph::compile(graph, options));
  if (cached)
    std::filesystem::remove_all(dir);
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
    // The sequence models' cold compiles take a minute (issue 11): timed by `kiln train`.
    if (std::string_view(model) == "lstm" || std::string_view(model) == "vit")
      continue;
    for (bool cached : {false, true})
      benchmark::RegisterBenchmark(
          ("compile/" + std::string(model) + (cached ? "/cached" : "/cold")).c_str(), compileTime,
          model, cached)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(cached ? 10 : 2);
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
