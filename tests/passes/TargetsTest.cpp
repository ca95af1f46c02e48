// The targets of issue 4, on the graphs `kiln ir MODEL --stage program` prints (batch 64,
// the tutorial's):
//   - the cnn train step after `default`: kernels <= 40% of the graph's computations;
//   - the arena after planning <= 60% of the intermediate buffers of every tutorial
//     model's train step, in the plan the JIT runs (`kiln ir MODEL --stage program
//     --memory`: kernel scratch included, results written into the caller's tensors).
//     "Intermediate buffers" is measured strictly: only the temporaries and outputs that
//     need arena space, each at its allocated size.
#include "kiln/codegen/Pipeline.h"
#include "kiln/passes/Lower.h"
#include "kiln/passes/MemoryPlan.h"
#include "kiln/passes/PassManager.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

constexpr int64_t kTutorialBatch = 64;

KernelProgram trainProgram(const std::string &model, Statistics &stats) {
  Graph graph = buildStageGraph(model, Stage::Train, kTutorialBatch);
  stats = optimizeGraph(graph);
  return lowerGraph(graph, &stats);
}

} // namespace

TEST_CASE("the cnn train step fuses into kernels <= 40% of its nodes", "[passes][targets]") {
  Statistics stats;
  KernelProgram program = trainProgram("cnn", stats);
  auto kernels = static_cast<int64_t>(program.kernels.size());
  INFO(kernels << " kernels for " << program.graphComputations << " computations");
  CHECK(stats.get("fuse", "kernels") == kernels);
  CHECK(kernels * 100 <= 40 * program.graphComputations);
}

TEST_CASE("the planned arena is <= 60% of the intermediate buffers", "[passes][targets]") {
  std::string model = GENERATE(as<std::string>{}, "mlp", "cnn", "icnn");
  codegen::LowerOptions options;
  options.target = codegen::planOptions({});
  std::unique_ptr<codegen::LoweredStep> step =
      codegen::lowerStep(buildStageGraph(model, Stage::Train, kTutorialBatch), options);
  MemoryFigures f = memoryFigures(step->program, step->memory);
  INFO(model << ": arena " << f.arenaBytes << " of " << f.intermediateBytes
             << " intermediate bytes (peak live " << f.peakLiveBytes << ")");
  CHECK(f.arenaBytes * 100 <= 60 * f.intermediateBytes);
  // Every new state value goes straight into the caller's tensor: no copy after the step.
  for (const auto &u : step->program.updates)
    CHECK(step->memory.placements[u.value].where == Placement::Caller);
}
