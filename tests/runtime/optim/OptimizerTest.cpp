// Every optimizer against PyTorch's update rules computed here by hand, in double, with
// scalar code written from torch/optim/*.py (1.13) independently of the graph builder.
// The step graph (loss -> autodiff -> update) runs on the interpreter for three steps
// with a different learning rate each step, state fed back between steps.
#include "TrainStep.h"

#include "kiln/runtime/Init.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kiln;
using namespace kiln::test;

namespace {

/// PyTorch's optimizers for one flat parameter, element by element, in double.
struct ReferenceOptimizer {
  OptimizerConfig c;
  std::vector<double> p, buf, squareAvg, expAvg, expAvgSq;
  int steps = 0; // completed steps

  void step(const std::vector<double> &grad, double lr) {
    size_t n = p.size();
    buf.resize(n, 0.0);
    squareAvg.resize(n, 0.0);
    expAvg.resize(n, 0.0);
    expAvgSq.resize(n, 0.0);
    ++steps;
    for (size_t i = 0; i < n; ++i) {
      double g = grad[i];
      switch (c.kind) {
      case OptimizerKind::SGD:
      case OptimizerKind::Momentum: {
        g += c.weightDecay * p[i];
        if (c.momentum != 0) {
          buf[i] = steps == 1 ? g : c.momentum * buf[i] + (1 - c.dampening) * g;
          g = c.nesterov ? g + c.momentum * buf[i] : buf[i];
        }
        p[i] -= lr * g;
        break;
      }
      case OptimizerKind::RMSprop: {
        g += c.weightDecay * p[i];
        squareAvg[i] = c.alpha * squareAvg[i] + (1 - c.alpha) * g * g;
        double avg = std::sqrt(squareAvg[i]) + c.eps;
        if (c.momentum > 0) {
          buf[i] = c.momentum * buf[i] + g / avg;
          p[i] -= lr * buf[i];
        } else {
          p[i] -= lr * g / avg;
        }
        break;
      }
      case OptimizerKind::Adam:
      case OptimizerKind::AdamW: {
        if (c.kind == OptimizerKind::AdamW)
          p[i] *= 1 - lr * c.weightDecay;
        else
          g += c.weightDecay * p[i];
        expAvg[i] = c.beta1 * expAvg[i] + (1 - c.beta1) * g;
        expAvgSq[i] = c.beta2 * expAvgSq[i] + (1 - c.beta2) * g * g;
        double bc1 = 1 - std::pow(c.beta1, steps), bc2 = 1 - std::pow(c.beta2, steps);
        double denom = std::sqrt(expAvgSq[i]) / std::sqrt(bc2) + c.eps;
        p[i] -= (lr / bc1) * expAvg[i] / denom;
        break;
      }
      }
    }
  }
};

struct Case {
  const char *name;
  OptimizerConfig config;
};

OptimizerConfig with(OptimizerKind kind, double weightDecay = -1) {
  OptimizerConfig c = defaultConfig(kind);
  if (weightDecay >= 0)
    c.weightDecay = weightDecay;
  return c;
}

std::vector<Case> cases() {
  using K = OptimizerKind;
  OptimizerConfig nesterov = with(K::Momentum), dampened = with(K::Momentum, 0.05),
                  rmsMomentum = with(K::RMSprop), adamW = with(K::AdamW, 0.1),
                  sgdMomentum = with(K::SGD, 0.1);
  nesterov.nesterov = true;
  dampened.dampening = 0.5;
  rmsMomentum.momentum = 0.5;
  sgdMomentum.momentum = 0.8;
  return {{"sgd", with(K::SGD)},
          {"sgd + weight decay", with(K::SGD, 0.1)},
          {"sgd + momentum field + weight decay", sgdMomentum},
          {"momentum", with(K::Momentum)},
          {"momentum + nesterov", nesterov},
          {"momentum + dampening + weight decay", dampened},
          {"rmsprop", with(K::RMSprop)},
          {"rmsprop + weight decay", with(K::RMSprop, 0.1)},
          {"rmsprop + momentum", rmsMomentum},
          {"adam", with(K::Adam)},
          {"adam + weight decay", with(K::Adam, 0.1)},
          {"adamw", adamW}};
}

const std::vector<double> kX = {0.5, -1.5, 2.0}, kTarget = {1.0, 0.25, -0.75},
                          kW0 = {0.3, -0.2, 0.8};
const std::vector<float> kLrs = {0.1f, 0.05f, 0.02f};

/// loss = sum((w * x - t)^2) over a 3-vector w of `dtype`; returns the step graph.
Graph buildStep(const OptimizerConfig &config, DType dtype) {
  Graph g("quadratic.train");
  IRBuilder b(g);
  Type vec{dtype, {3}};
  ValueId x = g.addInput("x", vec);
  ValueId t = g.addInput("t", vec);
  ValueId w = g.addState("w", vec, {{"init", std::string("zeros")}});
  ValueId residual = b.sub(b.mul(w, x), t);
  ValueId loss = b.reduceSum(b.mul(residual, residual), {0});
  g.addOutput("loss", loss);
  assembleTrainStep(g, loss, {w}, config);
  return g;
}

/// Runs three steps of `config` on the interpreter and compares the parameter (and
/// the moments, when present) with the reference after each step.
void checkAgainstReference(const Case &c, DType dtype, double tolerance) {
  INFO(c.name << " in " << dtypeName(dtype));
  Graph g = buildStep(c.config, dtype);
  StepRunner runner(g, initialStates(g, /*seed=*/0));
  Type vec{dtype, {3}};
  runner.state("w") = tensorOf(vec, kW0);
  ReferenceOptimizer ref;
  ref.c = c.config;
  ref.p = kW0;
  for (size_t s = 0; s < kLrs.size(); ++s) {
    INFO("step " << s + 1);
    std::vector<double> grad(3);
    for (size_t i = 0; i < 3; ++i)
      grad[i] = 2 * (ref.p[i] * kX[i] - kTarget[i]) * kX[i];
    ref.step(grad, kLrs[s]);
    // Inputs in declaration order: x, t, lr.
    runner.step({tensorOf(vec, kX), tensorOf(vec, kTarget), scalarOf(kLrs[s])});
    auto compare = [&](const char *state, const std::vector<double> &expected) {
      const Tensor &actual = runner.state(state);
      for (int64_t i = 0; i < 3; ++i) {
        INFO(state << "[" << i << "]");
        CHECK(actual.at(i) == Approx(expected[i]).epsilon(tolerance));
      }
    };
    compare("w", ref.p);
    if (g.findNamed("optim.w.momentum_buffer"))
      compare("optim.w.momentum_buffer", ref.buf);
    if (g.findNamed("optim.w.square_avg"))
      compare("optim.w.square_avg", ref.squareAvg);
    if (g.findNamed("optim.w.exp_avg")) {
      compare("optim.w.exp_avg", ref.expAvg);
      compare("optim.w.exp_avg_sq", ref.expAvgSq);
    }
    CHECK(runner.state("step").at(0) == static_cast<double>(s + 1));
  }
}

} // namespace

TEST_CASE("optimizers match PyTorch's update rules over three steps (f32)", "[optim]") {
  for (const Case &c : cases())
    checkAgainstReference(c, DType::F32, 1e-6);
}

TEST_CASE("optimizers match PyTorch's update rules over three steps (f64)", "[optim]") {
  for (const Case &c : cases())
    checkAgainstReference(c, DType::F64, 1e-12);
}

TEST_CASE("the optimizer keeps one step counter for all parameters", "[optim]") {
  Graph g;
  IRBuilder b(g);
  ValueId w = g.addState("w", {DType::F32, {2}});
  ValueId v = g.addState("v", {DType::F32, {2}});
  ValueId loss = b.reduceSum(b.mul(w, v), {0});
  assembleTrainStep(g, loss, {w, v}, defaultConfig(OptimizerKind::Adam));
  int counters = 0;
  for (ValueId s : g.states())
    counters += g.node(s).name == "step";
  CHECK(counters == 1);
  CHECK(g.states().size() == 2 + 4 + 1);
}
