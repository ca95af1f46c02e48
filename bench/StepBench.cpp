// The zoo's MNIST models on the interpreter and the JIT: train step time, eval
// throughput and batch-1 predict latency (compile times: CompileBench.cpp).
#include "BenchUtil.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <benchmark/benchmark.h>
#include <fmt/core.h>

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

/// One step of `model`'s `stage` graph at `batch`, run repeatedly on one backend.
void step(benchmark::State &state, const std::string &model, Stage stage, int64_t batch,
          bool jit) {
  Graph graph = buildStageGraph(model, stage, batch);
  std::vector<Tensor> params = initialStates(graph, 1);
  std::vector<Tensor> inputs = syntheticInputs(graph, 10, 42);
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
      benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
  if (compiled && compiled->profile())
    std::fprintf(stderr, "%s: %s", model.c_str(), compiled->profile()->report().c_str());
}

/// train_step: the whole training step at batch 64 (ms); eval_1000: the eval step
/// (logits, loss, correct count) over 1000 images, for throughput; predict_1: the
/// predict function on one image, for latency (us).
void registerAll() {
  struct Kind {
    const char *name;
    Stage stage;
    int64_t batch;
    benchmark::TimeUnit unit;
  };
  const Kind kinds[] = {{"train_step", Stage::Train, kBatch, benchmark::kMillisecond},
                        {"eval_1000", Stage::Eval, 1000, benchmark::kMillisecond},
                        {"predict_1", Stage::Predict, 1, benchmark::kMicrosecond}};
  for (const Kind &kind : kinds)
    for (const char *model : {"mlp", "cnn", "icnn", "lstm", "vit"})
      for (bool jit : {false, true}) {
        std::string name = fmt::format("{}/{}/{}", kind.name, model, jit ? "jit" : "interp");
        benchmark::RegisterBenchmark(name.c_str(), step, model, kind.stage, kind.batch, jit)
            ->Unit(kind.unit)
            ->UseRealTime()
            ->MinTime(kind.batch == 1 ? 0.5 : 1.0);
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
