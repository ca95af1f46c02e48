// compile/: the JIT's compile time of train steps (batch 64), cold (no cache) and cached
// (the objects come from a warm disk cache), with the step's kernel and distinct-body
// counts, over the zoo and the generated corpus of CompileCorpus.h.
#include "CompileCorpus.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <benchmark/benchmark.h>

#include <filesystem>

namespace kiln::bench {
namespace {

constexpr int64_t kBatch = 64;

void compileTime(benchmark::State &state, const ModelSpec &model, bool cached) {
  Graph graph = buildStageGraph(model, Stage::Train, kBatch);
  codegen::JitOptions options;
  options.useCache = cached;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "kiln-bench-cache";
  options.cacheDir = dir;
  if (cached)
    codegen::CompiledGraph::compile(graph, options); // warm it
  codegen::CompileStats stats;
  for (auto _ : state) {
    auto compiled = codegen::CompiledGraph::compile(graph, options);
    stats = compiled->stats();
  }
  state.counters["kernels"] = double(stats.kernels);
  state.counters["stages"] = double(stats.stages);
  state.counters["bodies"] = double(stats.kernelBodies);
  for (const codegen::PhaseTime &phase : stats.phases) // the last compile's, in ms
    state.counters[phase.step] = phase.milliseconds;
  if (cached)
    std::filesystem::remove_all(dir);
}

void registerAll() {
  static std::vector<ModelSpec> models = [] {
    std::vector<ModelSpec> all;
    for (const char *name : {"mlp", "cnn", "icnn", "lstm", "vit"})
      all.push_back(zooEntry(name));
    for (ModelSpec &spec : compileCorpus())
      all.push_back(std::move(spec));
    return all;
  }();
  for (const ModelSpec &model : models)
    for (bool cached : {false, true})
      benchmark::RegisterBenchmark(("compile/" + model.name + (cached ? "/cached" : "/cold")).c_str(),
                                   compileTime, model, cached)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(cached ? 5 : 2);
}

const bool registered = (registerAll(), true);

} // namespace
} // namespace kiln::bench
