// Semantic equivalence on the tutorial's step graphs: the interpreter's outputs and new
// state agree (to tolerance) before and after the default pipeline, and between a graph
// and its kernel program run on the interpreter's kernels, with and without a memory
// plan (an arena plan that overlapped live buffers, or an unsafe in-place update, would
// change the numbers).
#include "kiln/ir/Verifier.h"
#include "kiln/passes/Lower.h"
#include "kiln/passes/MemoryPlan.h"
#include "kiln/passes/PassManager.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/program/ProgramRunner.h"
#include "kiln/runtime/train/StepGraphs.h"
#include "tests/passes/PassTestUtil.h"

#include <catch2/catch.hpp>

using namespace kiln;
using kiln::test::requireClose;

namespace {

constexpr int64_t kBatch = 4;
constexpr uint32_t kSeed = 20240611;

struct Step {
  std::vector<Tensor> outputs, updates;
};

Step interpret(const Graph &graph, const std::vector<Tensor> &inputs,
               const std::vector<Tensor> &state) {
  Interpreter::Result r = Interpreter(graph).run(inputs, state);
  return {r.outputs, r.updates};
}

Step runProgram(const KernelProgram &program, const MemoryPlan *plan,
                const std::vector<Tensor> &inputs, const std::vector<Tensor> &state) {
  ProgramRunner::Result r = ProgramRunner(program, plan).run(inputs, state);
  return {r.outputs, r.updates};
}

void requireSame(const Graph &graph, const Step &a, const Step &b) {
  REQUIRE(a.outputs.size() == graph.outputs().size());
  REQUIRE(b.outputs.size() == a.outputs.size());
  REQUIRE(b.updates.size() == a.updates.size());
  for (size_t i = 0; i < a.outputs.size(); ++i)
    requireClose(b.outputs[i], a.outputs[i], "output " + graph.outputs()[i].name);
  for (size_t i = 0; i < a.updates.size(); ++i)
    requireClose(b.updates[i], a.updates[i],
                 "update of " + graph.node(graph.updates()[i].state).name);
}

Graph optimized(Graph graph) {
  PipelineOptions options;
  options.verifyEach = true;
  optimizeGraph(graph, options);
  return graph;
}

} // namespace

TEST_CASE("the default pipeline keeps what a step graph computes", "[passes][equivalence]") {
  std::string model = GENERATE(as<std::string>{}, "mlp", "cnn", "icnn");
  Stage stage = GENERATE(Stage::Train, Stage::Eval);
  INFO(model << " stage " << static_cast<int>(stage) << " batch " << kBatch << " seed " << kSeed);
  Graph graph = buildStageGraph(model, stage, kBatch);
  Graph after = optimized(graph);
  CHECK(after.size() < graph.size());
  REQUIRE(after.inputs().size() == graph.inputs().size());
  REQUIRE(after.states().size() == graph.states().size());
  std::vector<Tensor> inputs = test::randomInputs(graph, kSeed),
                      state = test::randomState(graph, kSeed);
  requireSame(graph, interpret(graph, inputs, state), interpret(after, inputs, state));
}

TEST_CASE("the kernel program computes what its graph computes", "[passes][equivalence]") {
  std::string model = GENERATE(as<std::string>{}, "mlp", "cnn", "icnn");
  Stage stage = GENERATE(Stage::Train, Stage::Eval);
  bool optimize = GENERATE(true, false);
  INFO(model << " stage " << static_cast<int>(stage) << " optimized " << optimize << " seed "
             << kSeed);
  Graph graph = buildStageGraph(model, stage, kBatch);
  if (optimize)
    graph = optimized(graph);
  KernelProgram program = lowerGraph(graph);
  verifyProgram(program);
  std::vector<Tensor> inputs = test::randomInputs(graph, kSeed),
                      state = test::randomState(graph, kSeed);
  requireSame(graph, interpret(graph, inputs, state), runProgram(program, nullptr, inputs, state));
}

TEST_CASE("a memory-planned kernel program computes what its graph computes",
          "[passes][equivalence][memory]") {
  std::string model = GENERATE(as<std::string>{}, "mlp", "cnn", "icnn");
  Stage stage = GENERATE(Stage::Train, Stage::Eval);
  ArenaStrategy strategy = GENERATE(ArenaStrategy::BestFit, ArenaStrategy::Colouring);
  INFO(model << " stage " << static_cast<int>(stage) << " strategy " << arenaStrategyName(strategy)
             << " seed " << kSeed);
  Graph graph = optimized(buildStageGraph(model, stage, kBatch));
  KernelProgram program = lowerGraph(graph);
  MemoryPlan plan = planMemory(program, strategy);
  std::vector<Tensor> inputs = test::randomInputs(graph, kSeed),
                      state = test::randomState(graph, kSeed);
  requireSame(graph, interpret(graph, inputs, state), runProgram(program, &plan, inputs, state));
  if (stage == Stage::Train) {
    MemoryFigures f = memoryFigures(program, plan);
    CHECK(f.inPlaceUpdates == f.updates);
  }
}

TEST_CASE("every zoo model and stage lowers to an equivalent planned program",
          "[passes][equivalence]") {
  std::string model =
      GENERATE(as<std::string>{}, "perceptron", "xor_mlp", "xor_mlp_relu", "mlp", "cnn", "icnn");
  Stage stage = GENERATE(Stage::Forward, Stage::Eval, Stage::Backward, Stage::Train);
  INFO(model << " stage " << static_cast<int>(stage) << " seed " << kSeed);
  Graph graph = optimized(buildStageGraph(model, stage, 3));
  KernelProgram program = lowerGraph(graph);
  verifyProgram(program);
  MemoryPlan plan = planMemory(program);
  std::vector<Tensor> inputs = test::randomInputs(graph, kSeed + 1),
                      state = test::randomState(graph, kSeed + 1);
  requireSame(graph, interpret(graph, inputs, state), runProgram(program, &plan, inputs, state));
}
