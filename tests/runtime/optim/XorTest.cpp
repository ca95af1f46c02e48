// Spec §1: "a single perceptron cannot fit XOR; a multi-layer perceptron can". Both
// models are built directly from IR ops, trained by the optimizer graph builders with
// autodiff on the interpreter, and evaluated on the four XOR points.
#include "TrainStep.h"

#include "kiln/runtime/Init.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

using namespace kiln;
using namespace kiln::test;

namespace {

const std::vector<double> kPoints = {0, 0, 0, 1, 1, 0, 1, 1};
const std::vector<double> kLabels = {0, 1, 1, 0};
const Type kPointsType{DType::F32, {4, 2}}, kLabelsType{DType::F32, {4, 1}};

/// y = x W^T + b with PyTorch's Linear layout and default init U(-1/sqrt(in), 1/sqrt(in)).
ValueId linear(IRBuilder &b, ValueId x, const std::string &name, int64_t in, int64_t out,
               std::vector<ValueId> &params) {
  Graph &g = b.graph();
  auto guard = b.enter(name);
  Attrs init{{"init", std::string("uniform")}, {"bound", 1 / std::sqrt(double(in))}};
  ValueId weight = g.addState(name + ".weight", {DType::F32, {out, in}}, init, b.scope());
  ValueId bias = g.addState(name + ".bias", {DType::F32, {out}}, init, b.scope());
  params.insert(params.end(), {weight, bias});
  int64_t batch = b.type(x).shape[0];
  ValueId y = b.op(OpKind::Matmul, {x, weight}, {{"transpose_b", true}});
  return b.add(y, b.broadcast(bias, {batch, out}, {1}));
}

struct XorModel {
  Graph graph{"xor"};
  std::vector<ValueId> params;
  ValueId loss = -1;
};

/// `hidden` == 0: a single perceptron, logistic(Linear(2,1)). Otherwise a 2-hidden-1
/// MLP with tanh. The loss is binary cross-entropy on the logits,
/// mean(log(1 + exp(z)) - y z), which is BCE(logistic(z), y).
XorModel buildXor(int64_t hidden) {
  XorModel m;
  Graph &g = m.graph;
  IRBuilder b(g);
  ValueId x = g.addInput("x", kPointsType);
  ValueId y = g.addInput("y", kLabelsType);
  ValueId z;
  if (hidden == 0) {
    z = linear(b, x, "fc", 2, 1, m.params);
  } else {
    ValueId h = b.op(OpKind::Tanh, {linear(b, x, "fc1", 2, hidden, m.params)});
    z = linear(b, h, "fc2", hidden, 1, m.params);
  }
  auto guard = b.enter("loss");
  ValueId softplus = b.log(b.add(b.constantLike(1.0, z), b.exp(z)));
  m.loss = b.op(OpKind::ReduceMean, {b.sub(softplus, b.mul(y, z))},
                {{"axes", std::vector<int64_t>{0, 1}}});
  g.addOutput("loss", m.loss);
  g.addOutput("logits", z);
  return m;
}

/// How many of the four points the logits classify correctly (logit > 0 means 1).
int correct(const Tensor &logits) {
  int n = 0;
  for (int64_t i = 0; i < 4; ++i)
    n += (logits.at(i) > 0) == (kLabels[i] == 1);
  return n;
}

struct Trained {
  double loss;
  Tensor logits;
};

/// Trains `model` for `steps` steps from the seeded init; returns the final loss and
/// logits (those of the parameters after the last update).
Trained train(XorModel &model, const OptimizerConfig &config, float lr, int steps, uint64_t seed) {
  assembleTrainStep(model.graph, model.loss, model.params, config);
  StepRunner runner(model.graph, initialStates(model.graph, seed));
  std::vector<Tensor> inputs = {tensorOf(kPointsType, kPoints), tensorOf(kLabelsType, kLabels),
                                scalarOf(lr)};
  for (int s = 0; s < steps; ++s)
    runner.step(inputs);
  // One more forward pass reads the result; its update is discarded with the runner.
  std::vector<Tensor> outputs = runner.step(inputs);
  return {outputs[0].at(0), outputs[1]};
}

OptimizerConfig sgd() { return defaultConfig(OptimizerKind::SGD); }
OptimizerConfig adam() { return defaultConfig(OptimizerKind::Adam); }

} // namespace

TEST_CASE("xor: no linear classifier gets more than 3 of the 4 points", "[optim][xor]") {
  // For any affine z = w.x + b, z(0,1) + z(1,0) = z(0,0) + z(1,1); fitting XOR needs the
  // left side positive and the right side negative, so at least one point is wrong.
  // Check the identity and the bound over a grid of perceptrons run by the interpreter.
  XorModel model = buildXor(/*hidden=*/0);
  Interpreter interp(model.graph);
  std::vector<Tensor> inputs = {tensorOf(kPointsType, kPoints), tensorOf(kLabelsType, kLabels)};
  int best = 0, bestCount = 0;
  std::vector<double> grid;
  for (int i = -8; i <= 8; ++i)
    grid.push_back(i * 0.375);
  for (double w1 : grid)
    for (double w2 : grid)
      for (double bias : grid) {
        std::vector<Tensor> state = {tensorOf({DType::F32, {1, 2}}, {w1, w2}),
                                     tensorOf({DType::F32, {1}}, {bias})};
        Tensor z = interp.run(inputs, state).outputs[1];
        INFO("w = (" << w1 << ", " << w2 << "), b = " << bias);
        REQUIRE(z.at(1) + z.at(2) == Approx(z.at(0) + z.at(3)).margin(1e-5));
        int n = correct(z);
        if (n > best)
          best = n, bestCount = 0;
        bestCount += n == best;
      }
  CHECK(best == 3);
  CHECK(bestCount > 0);
}

TEST_CASE("xor: a trained perceptron reaches its optimum and still misses a point",
          "[optim][xor]") {
  // The cross-entropy of a linear model is convex and, on XOR, symmetric under
  // x -> 1 - x and x1 <-> x2, so its global minimum is w = 0, b = 0 with loss ln 2.
  // Reaching that loss shows the perceptron is trained out, not under-trained.
  const double ln2 = std::numbers::ln2;
  struct Run {
    const char *name;
    OptimizerConfig config;
    float lr;
  };
  for (const Run &run : {Run{"sgd", sgd(), 0.5f}, Run{"adam", adam(), 0.05f}}) {
    for (uint64_t seed : {1, 2, 3}) {
      XorModel model = buildXor(/*hidden=*/0);
      Trained t = train(model, run.config, run.lr, /*steps=*/500, seed);
      INFO(run.name << ", seed " << seed << ": loss " << t.loss << ", " << correct(t.logits)
                    << "/4 correct");
      CHECK(correct(t.logits) <= 3);
      CHECK(t.loss > ln2 - 1e-6);
      CHECK(t.loss < ln2 + 1e-5);
    }
  }
}

TEST_CASE("xor: a 2-4-1 tanh MLP fits XOR", "[optim][xor]") {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    XorModel model = buildXor(/*hidden=*/4);
    Trained t = train(model, adam(), 0.05f, /*steps=*/500, seed);
    INFO("seed " << seed << ": loss " << t.loss << ", " << correct(t.logits) << "/4 correct");
    CHECK(correct(t.logits) == 4);
    CHECK(t.loss < 0.05);
  }
}
