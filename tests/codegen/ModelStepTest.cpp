// The whole training step of the zoo's MNIST models on the JIT against the interpreter:
// 20 Adam steps (3 for the sequence models) from the same state on the same batches; every
// parameter, optimizer moment and statistic agrees within 1e-4 relative (2-norm of the tensor), the
// loss within 1e-4 at every step, and every dropout mask is identical at every step (both draw them
// from the same Philox counter).
//
// The biases of icnn's convolutions are frozen there: batch norm subtracts the batch
// mean right after them, so their exact gradient is zero and what either backend
// computes is rounding noise, which Adam (dividing by the noise's own magnitude) turns
// into full +-lr steps in arbitrary directions. The second test shows that noise.
#include "JitTestUtil.h"

#include "kiln/frontend/Layers.h"
#include "kiln/frontend/Recurrent.h"
#include "kiln/frontend/Zoo.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <map>

using namespace kiln;
using namespace kiln::test;

namespace {

/// Adds every dropout mask (a compare in a dropout scope) as an output "mask.<id>".
std::vector<std::string> exposeDropoutMasks(Graph &graph) {
  std::vector<std::string> names;
  for (size_t i = 0; i < graph.size(); ++i) {
    const Node &node = graph.node(ValueId(i));
    if (node.op == OpKind::Compare && node.scope.find("dropout") != std::string::npos &&
        node.scope.find("grad") == std::string::npos) {
      names.push_back(fmt::format("mask.{}", i));
      graph.addOutput(names.back(), ValueId(i));
    }
  }
  return names;
}

/// state[k] <- the update of state k, for every updated state.
void applyUpdates(const Graph &graph, std::vector<Tensor> &state, std::vector<Tensor> updates) {
  std::vector<ValueId> states = graph.states();
  std::map<ValueId, size_t> index;
  for (size_t k = 0; k < states.size(); ++k)
    index[states[k]] = k;
  for (size_t u = 0; u < updates.size(); ++u)
    state[index.at(graph.updates()[u].state)] = std::move(updates[u]);
}

} // namespace

namespace {

/// Elements [begin, end) of parameter `state` whose exact gradient is zero, so that both
/// backends compute rounding noise for it, which Adam turns into steps of up to about lr
/// in arbitrary directions (as for icnn's conv biases above).
struct NoiseRange {
  std::string state;
  int64_t begin, end;
};

/// Runs `steps` train steps of zoo model `model` at `batch` on the JIT and on the
/// interpreter from the same state and batches, and compares every output at every step
/// and every state at the end. In `noise` ranges, the states are only checked to have
/// moved by no more than Adam's bound of 2 lr per step from zero.
void checkTrainSteps(const std::string &model, int64_t batch, int steps, uint64_t seed,
                     const StepOptions &options = {}, const std::vector<NoiseRange> &noise = {}) {
  INFO(model << " (seed " << seed << ", batch " << batch << ")");
  Graph graph = buildStageGraph(model, Stage::Train, batch, options);
  std::vector<std::string> masks = exposeDropoutMasks(graph);
  if (model != "icnn" && model != "lstm")
    REQUIRE_FALSE(masks.empty());
  std::vector<Tensor> jitState = initialStates(graph, seed), interpState;
  for (const Tensor &t : jitState)
    interpState.push_back(t.clone());

  auto jit = codegen::CompiledGraph::compile(graph, testJitOptions());
  Interpreter interpreter(graph);
  ValueDomain pixels;
  pixels.lo = 0;
  pixels.hi = 1;
  for (int step = 0; step < steps; ++step) {
    INFO("step " << step);
    std::vector<Tensor> inputs;
    for (ValueId id : graph.inputs()) {
      const Node &node = graph.node(id);
      if (node.name == "lr")
        inputs.push_back(Tensor::full(node.type, 1e-3));
      else
        inputs.push_back(
            randomTensor(node.type, seed, 100 * uint64_t(step) + inputs.size(), pixels));
    }
    codegen::CompiledGraph::Result got = jit->run(inputs, jitState);
    Interpreter::Result want = interpreter.run(inputs, interpState);
    for (size_t o = 0; o < graph.outputs().size(); ++o) {
      const std::string &name = graph.outputs()[o].name;
      INFO("output " << name);
      bool isMask = name.rfind("mask.", 0) == 0;
      CHECK(compareTensors(got.outputs[o], want.outputs[o], isMask ? 0 : 1e-4) == "");
    }
    applyUpdates(graph, jitState, std::move(got.updates));
    applyUpdates(graph, interpState, std::move(want.updates));
  }
  std::vector<ValueId> states = graph.states();
  for (size_t k = 0; k < states.size(); ++k) {
    const std::string &name = graph.node(states[k]).name;
    INFO("state " << name << " after " << steps << " steps");
    Tensor jit = jitState[k].clone(), interp = interpState[k].clone();
    for (const NoiseRange &r : noise)
      if (r.state == name)
        for (int64_t i = r.begin; i < r.end; ++i) {
          INFO("noise element " << i);
          CHECK(std::abs(jit.at(i)) <= 2e-3 * steps);
          CHECK(std::abs(interp.at(i)) <= 2e-3 * steps);
          jit.set(i, 0.0);
          interp.set(i, 0.0);
        }
    CHECK(compareNorms(jit, interp, 1e-4) == "");
  }
}

} // namespace

TEST_CASE("train steps of the zoo models agree with the interpreter", "[jit][models]") {
  std::string model = GENERATE(as<std::string>{}, "mlp", "cnn", "icnn");
  StepOptions options;
  if (model == "icnn")
    options.freeze = {"conv1.bias", "conv2.bias", "conv3.bias"};
  checkTrainSteps(model, /*batch=*/8, /*steps=*/20, /*seed=*/2024, options);
}

TEST_CASE("train steps of the sequence models agree with the interpreter", "[jit][models][seq]") {
  // Fewer, smaller steps than above: the unrolled LSTM is a large graph to compile and
  // to interpret; three Adam steps already carry every gradient into the state.
  std::string model = GENERATE(as<std::string>{}, "lstm", "vit");
  // The attention's key bias (rows E..2E of in_proj_bias, zero-initialized) adds q.b_k to
  // every score of a query's row, which softmax cancels: its exact gradient is zero.
  std::vector<NoiseRange> noise;
  if (model == "vit")
    for (std::string l : {"0", "1"})
      noise.push_back({"encoder.layers." + l + ".self_attn.in_proj_bias", 64, 128});
  checkTrainSteps(model, /*batch=*/4, /*steps=*/3, /*seed=*/2024, {}, noise);
}

namespace {

/// A 2-layer LSTM over `steps` rows of 5 features, classifying from the last step.
struct Sequence : Module {
  explicit Sequence(int64_t steps)
      : steps_(steps), lstm(this, "lstm", 5, 12, {.numLayers = 2, .batchFirst = true}),
        fc(this, "fc", 12, 3) {}
  Value forward(Value x) override {
    Value out = lstm(x.view({-1, steps_, 5})).output;
    return fc(out.slice(1, steps_ - 1, steps_).view({out.dim(0), 12}));
  }
  int64_t steps_;
  LSTM lstm;
  Linear fc;
};

codegen::CompileStats sequenceStats(int64_t steps) {
  ModelSpec model = classifier(fmt::format("lstm{}", steps), {steps, 5}, 3,
                               [steps] { return std::make_unique<Sequence>(steps); });
  return codegen::CompiledGraph::compile(buildStageGraph(model, Stage::Train, 3),
                                         testJitOptions())
      ->stats();
}

} // namespace

TEST_CASE("the unrolled LSTM's time steps share their compiled kernels", "[jit][models][seq]") {
  // Identical time steps compile once: the distinct bodies of a 2-layer LSTM's train
  // step do not grow with its length. (Only the kernels that gather every step, such as
  // the sum of the input-projection gradients, differ with the step count: one body each.)
  codegen::CompileStats short_ = sequenceStats(6), long_ = sequenceStats(40);
  INFO("6 steps: " << short_.kernels << " kernels, " << short_.stages << " stages, "
                   << short_.kernelBodies << " bodies; 40 steps: " << long_.kernels
                   << " kernels, " << long_.stages << " stages, " << long_.kernelBodies
                   << " bodies");
  CHECK(long_.stages > 4 * short_.stages);
  CHECK(long_.kernelBodies <= short_.kernelBodies + 4);
}

TEST_CASE("batch norm leaves the preceding conv biases only rounding noise as gradient",
          "[jit][models]") {
  constexpr uint64_t kSeed = 7;
  Graph graph = buildStageGraph("icnn", Stage::Backward, 8);
  Arguments args = randomArguments(graph, kSeed, {0, 1, 10, false});
  args.state = initialStates(graph, kSeed);
  auto jit = codegen::CompiledGraph::compile(graph, testJitOptions());
  codegen::CompiledGraph::Result got = jit->run(args.inputs, args.state);
  Interpreter::Result want = Interpreter(graph).run(args.inputs, args.state);
  auto maxAbs = [](const Tensor &t) {
    double m = 0;
    for (int64_t i = 0; i < t.numElements(); ++i)
      m = std::max(m, std::abs(t.at(i)));
    return m;
  };
  for (size_t o = 0; o < graph.outputs().size(); ++o) {
    const std::string &name = graph.outputs()[o].name;
    INFO(name);
    bool noise = name.rfind("grad.conv", 0) == 0 && name.find(".bias") != std::string::npos;
    if (!noise) {
      CHECK(compareTensors(got.outputs[o], want.outputs[o], 1e-4) == "");
      continue;
    }
    // Noise in both backends, far below the weights' gradient of the same layer.
    std::string weight = name.substr(0, name.size() - 4) + "weight";
    size_t w = 0;
    while (graph.outputs()[w].name != weight)
      ++w;
    double scale = maxAbs(want.outputs[w]);
    CHECK(maxAbs(got.outputs[o]) < 1e-5 * scale);
    CHECK(maxAbs(want.outputs[o]) < 1e-5 * scale);
  }
}
