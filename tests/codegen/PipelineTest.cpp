// One lowering path: the JIT runs the kernel program and memory plan that `kiln ir
// --stage program --memory` prints. Its arena is the size the memory report gives, and
// it compiles the program's kernels one for one, in order; on the tutorial models, the
// sequence models, and graphs nobody tuned for.
#include "JitTestUtil.h"
#include "RandomGraph.h"

#include "kiln/codegen/Pipeline.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace kiln;
using namespace kiln::test;

namespace {

void checkSamePlan(const Graph &graph) {
  codegen::JitOptions options = testJitOptions();
  options.profile = true;
  auto compiled = codegen::CompiledGraph::compile(graph, options);

  codegen::LowerOptions lowering;
  lowering.target = codegen::planOptions(options);
  std::unique_ptr<codegen::LoweredStep> step = codegen::lowerStep(graph, lowering);
  MemoryFigures figures = memoryFigures(step->program, step->memory);
  std::string report = memoryReport(step->program, step->memory);

  const codegen::CompileStats &stats = compiled->stats();
  CHECK(stats.arenaBytes == figures.arenaBytes);
  CHECK_THAT(report,
             Catch::Contains(fmt::format("arena (best-fit, chosen):  {} B", stats.arenaBytes)));
  REQUIRE(compiled->profile() != nullptr);
  const std::vector<std::string> &names = compiled->profile()->names;
  REQUIRE(names.size() == step->program.kernels.size());
  CHECK(stats.kernels == step->program.kernels.size());
  for (size_t k = 0; k < names.size(); ++k)
    CHECK(names[k] == step->program.kernels[k].name);
  // Every kernel has at least one stage, and every stage belongs to a kernel in order.
  std::vector<int> stagesOf(names.size(), 0);
  int last = 0;
  for (const codegen::Stage &s : step->stages.stages) {
    CHECK(s.kernel >= last);
    last = s.kernel;
    ++stagesOf[s.kernel];
  }
  for (size_t k = 0; k < names.size(); ++k)
    CHECK(stagesOf[k] > 0);
  CHECK(stats.stages == step->stages.stages.size());
}

} // namespace

TEST_CASE("the JIT runs the kernel program and memory plan kiln prints", "[jit][pipeline]") {
  std::string model = GENERATE(as<std::string>{}, "mlp", "cnn", "icnn", "lstm", "vit");
  Stage stage = GENERATE(Stage::Train, Stage::Eval);
  INFO(model << " " << (stage == Stage::Train ? "train" : "eval"));
  checkSamePlan(buildStageGraph(model, stage, 3));
}

TEST_CASE("random graphs: the JIT's arena and kernels are the printed plan's", "[jit][pipeline]") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    TestGraph test;
    appendRandomGraph(test, seed);
    checkSamePlan(test.graph);
  }
}

TEST_CASE("print-after names every lowering step and nothing else", "[jit][pipeline]") {
  Graph graph = buildStageGraph("mlp", Stage::Train, 2);
  codegen::LowerOptions options;
  options.target = codegen::planOptions(testJitOptions());
  std::vector<std::string> dumps;
  options.dump = [&](std::string_view d) { dumps.emplace_back(d); };
  for (const char *step : {"graph-passes", "fuse", "lower", "add-scratch", "plan-memory",
                           "plan-stages"}) {
    dumps.clear();
    options.printAfter = {step};
    codegen::lowerStep(graph, options);
    INFO(step);
    REQUIRE_FALSE(dumps.empty());
    CHECK_THAT(dumps.back(), Catch::Contains("IR Dump After"));
  }
  options.printAfter = {"no-such-step"};
  CHECK_THROWS_WITH(codegen::lowerStep(graph, options),
                    Catch::Contains("unknown pass 'no-such-step'"));
}
