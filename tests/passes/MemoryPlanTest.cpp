// Memory plans of the tutorial's step graphs, checked by an independent checker
// (MemoryPlanCheck.h), which is itself shown to catch a broken plan.
#include "kiln/passes/MemoryPlan.h"
#include "kiln/codegen/Pipeline.h"
#include "kiln/ir/Parser.h"
#include "kiln/passes/Lower.h"
#include "kiln/passes/PassManager.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/program/ProgramRunner.h"
#include "kiln/runtime/train/StepGraphs.h"
#include "tests/passes/MemoryPlanCheck.h"
#include "tests/passes/PassTestUtil.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

KernelProgram stepProgram(const std::string &model, Stage stage, int64_t batch) {
  Graph graph = buildStageGraph(model, stage, batch);
  optimizeGraph(graph);
  return lowerGraph(graph);
}

std::string joined(const std::vector<std::string> &lines) {
  std::string s;
  for (const std::string &l : lines)
    s += l + "\n";
  return s;
}

} // namespace

TEST_CASE("no two simultaneously live buffers overlap in any plan", "[passes][memory]") {
  std::string model = GENERATE(as<std::string>{}, "perceptron", "xor_mlp", "mlp", "cnn", "icnn");
  Stage stage = GENERATE(Stage::Train, Stage::Eval, Stage::Backward);
  ArenaStrategy strategy = GENERATE(ArenaStrategy::BestFit, ArenaStrategy::Colouring);
  INFO(model << " stage " << static_cast<int>(stage) << " " << arenaStrategyName(strategy));
  KernelProgram program = stepProgram(model, stage, 8);
  MemoryPlan plan = planMemory(program, strategy);
  std::vector<std::string> problems = test::checkMemoryPlan(program, plan);
  INFO(joined(problems));
  CHECK(problems.empty());
  CHECK(plan.arenaBytes > 0);
}

TEST_CASE("the JIT's plans keep live buffers and scratch apart", "[passes][memory]") {
  // The plan kiln ir --memory prints and the JIT runs: scratch buffers, results in the
  // caller's tensors, values written over their kernel's own buffers.
  std::string model = GENERATE(as<std::string>{}, "mlp", "cnn", "icnn", "lstm", "vit");
  Stage stage = GENERATE(Stage::Train, Stage::Eval);
  INFO(model << " stage " << static_cast<int>(stage));
  codegen::LowerOptions options;
  options.target = codegen::planOptions({});
  std::unique_ptr<codegen::LoweredStep> step =
      codegen::lowerStep(buildStageGraph(model, stage, 8), options);
  std::vector<std::string> problems = test::checkMemoryPlan(step->program, step->memory);
  INFO(joined(problems));
  CHECK(problems.empty());
  int64_t scratch = 0, caller = 0;
  for (size_t b = 0; b < step->program.buffers.size(); ++b) {
    scratch += step->program.buffers[b].kind == BufferKind::Scratch;
    caller += step->memory.placements[b].where == Placement::Caller;
  }
  CHECK(scratch > 0);
  CHECK(caller > 0);
}

TEST_CASE("the checker and the planned run catch two live buffers sharing bytes",
          "[passes][memory]") {
  Graph graph = buildStageGraph("cnn", Stage::Train, 4);
  optimizeGraph(graph);
  KernelProgram program = lowerGraph(graph);
  MemoryPlan plan = planMemory(program);
  REQUIRE(test::checkMemoryPlan(program, plan).empty());
  // Put every arena buffer at offset 0: buffers live together now share bytes.
  MemoryPlan broken = plan;
  for (BufferPlacement &p : broken.placements)
    if (p.where == Placement::Arena)
      p.offset = 0;
  std::vector<std::string> problems = test::checkMemoryPlan(program, broken);
  CHECK_FALSE(problems.empty());
  CHECK(joined(problems).find("are live together and overlap") != std::string::npos);
  // Running the broken plan gives other numbers than the graph.
  std::vector<Tensor> inputs = test::randomInputs(graph, 7), state = test::randomState(graph, 7);
  Interpreter::Result expected = Interpreter(graph).run(inputs, state);
  ProgramRunner::Result good = ProgramRunner(program, &plan).run(inputs, state);
  ProgramRunner::Result bad = ProgramRunner(program, &broken).run(inputs, state);
  test::requireClose(good.outputs[0], expected.outputs[0], "loss with the plan");
  bool differs = false;
  for (size_t i = 0; i < bad.updates.size(); ++i)
    for (int64_t j = 0; j < bad.updates[i].numElements() && !differs; ++j)
      differs = !(std::abs(bad.updates[i].at(j) - expected.updates[i].at(j)) <= 1e-3);
  CHECK(differs);
}

TEST_CASE("the checker and the planned run catch an unsafe in-place update", "[passes][memory]") {
  // The new %s feeds a reduction that scales the old %s: the old value is read after the
  // new one is written, so the planner keeps the update out of place.
  Graph graph = parseGraph(R"(graph @late_reader {
    input %x : f32[16]
    state %s : f32[16] {init = "zeros"}
    %0 = exp(%x) : f32[16]
    %1 = add(%s, %0) : f32[16]
    %2 = reduce_max(%1) {axes = [0]} : f32[]
    %3 = broadcast(%2) {dims = [], shape = [16]} : f32[16]
    %4 = mul(%s, %3) : f32[16]
    output y = %4
    update %s <- %1
  })");
  KernelProgram program = lowerGraph(graph);
  MemoryPlan plan = planMemory(program);
  REQUIRE(test::checkMemoryPlan(program, plan).empty());
  const auto &update = program.updates.front();
  REQUIRE(plan.placements[update.value].where == Placement::Arena);
  MemoryPlan forced = plan;
  forced.placements[update.value] = {Placement::InPlace, -1, update.state};
  std::vector<std::string> problems = test::checkMemoryPlan(program, forced);
  CHECK(joined(problems).find("reads the old %s after %1 overwrote it") != std::string::npos);
  std::vector<Tensor> inputs = test::randomInputs(graph, 3), state = test::randomState(graph, 3);
  state[0] = Tensor::full(state[0].type(), 0.5);
  Interpreter::Result expected = Interpreter(graph).run(inputs, state);
  test::requireClose(ProgramRunner(program, &plan).run(inputs, state).outputs[0],
                     expected.outputs[0], "y with the plan");
  Tensor wrong = ProgramRunner(program, &forced).run(inputs, state).outputs[0];
  CHECK(std::abs(wrong.at(0) - expected.outputs[0].at(0)) > 1e-3);
}

TEST_CASE("both arena strategies are measured and best fit is never larger", "[passes][memory]") {
  std::string model = GENERATE(as<std::string>{}, "mlp", "cnn", "icnn");
  KernelProgram program = stepProgram(model, Stage::Train, 64);
  MemoryPlan fit = planMemory(program, ArenaStrategy::BestFit);
  MemoryPlan colour = planMemory(program, ArenaStrategy::Colouring);
  MemoryFigures f = memoryFigures(program, fit);
  INFO(model << ": best fit " << fit.arenaBytes << ", colouring " << colour.arenaBytes
             << ", peak live " << f.peakLiveBytes);
  CHECK(fit.arenaBytes <= colour.arenaBytes);
  CHECK(fit.arenaBytes >= f.peakLiveBytes);
  CHECK(colour.arenaBytes >= f.peakLiveBytes);
  CHECK(kDefaultArenaStrategy == ArenaStrategy::BestFit);
}
