// Optimizer names, PyTorch defaults and rejected configurations.
#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"
#include "kiln/runtime/optim/Optimizer.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kiln;

TEST_CASE("optimizer names parse and unknown names list the choices", "[optim]") {
  for (OptimizerKind k : {OptimizerKind::SGD, OptimizerKind::Momentum, OptimizerKind::RMSprop,
                          OptimizerKind::Adam, OptimizerKind::AdamW})
    CHECK(parseOptimizerKind(optimizerKindName(k)) == k);
  CHECK(parseOptimizerKind("adamw") == OptimizerKind::AdamW);
  CHECK_THROWS_MATCHES(
      parseOptimizerKind("Adam"), Error,
      Catch::Message("unknown optimizer 'Adam' (choices: sgd, momentum, rmsprop, adam, adamw)"));
}

TEST_CASE("default configurations are PyTorch's", "[optim]") {
  OptimizerConfig momentum = defaultConfig(OptimizerKind::Momentum);
  CHECK(momentum.momentum == 0.9);
  CHECK(momentum.dampening == 0);
  CHECK_FALSE(momentum.nesterov);
  CHECK(defaultConfig(OptimizerKind::SGD).momentum == 0);
  OptimizerConfig adamw = defaultConfig(OptimizerKind::AdamW);
  CHECK(adamw.weightDecay == 0.01);
  CHECK(adamw.beta1 == 0.9);
  CHECK(adamw.beta2 == 0.999);
  CHECK(adamw.eps == 1e-8);
  CHECK(defaultConfig(OptimizerKind::Adam).weightDecay == 0);
  CHECK(defaultConfig(OptimizerKind::RMSprop).alpha == 0.99);
  CHECK(defaultLearningRate(OptimizerKind::Adam) == 1e-3);
  CHECK(defaultLearningRate(OptimizerKind::RMSprop) == 1e-2);
  for (OptimizerKind k : {OptimizerKind::SGD, OptimizerKind::Momentum, OptimizerKind::RMSprop,
                          OptimizerKind::Adam, OptimizerKind::AdamW})
    CHECK_NOTHROW(validate(defaultConfig(k)));
}

TEST_CASE("invalid hyperparameters are errors", "[optim]") {
  auto with = [](OptimizerKind kind, auto edit) {
    OptimizerConfig c = defaultConfig(kind);
    edit(c);
    return c;
  };
  using K = OptimizerKind;
  CHECK_THROWS_WITH(validate(with(K::Adam, [](auto &c) { c.eps = -1e-8; })),
                    Catch::Contains("adam optimizer: invalid eps -1e-08"));
  CHECK_THROWS_WITH(validate(with(K::Adam, [](auto &c) { c.beta1 = 1.0; })),
                    Catch::Contains("invalid beta1 1"));
  CHECK_THROWS_WITH(validate(with(K::AdamW, [](auto &c) { c.beta2 = -0.1; })),
                    Catch::Contains("invalid beta2"));
  CHECK_THROWS_WITH(validate(with(K::Adam, [](auto &c) { c.beta2 = std::nan(""); })),
                    Catch::Contains("invalid beta2"));
  CHECK_THROWS_WITH(validate(with(K::SGD, [](auto &c) { c.momentum = -0.5; })),
                    Catch::Contains("sgd optimizer: invalid momentum -0.5"));
  CHECK_THROWS_WITH(validate(with(K::Momentum, [](auto &c) { c.momentum = 0; })),
                    Catch::Contains("momentum must be positive"));
  CHECK_THROWS_WITH(validate(with(K::Momentum,
                                  [](auto &c) {
                                    c.nesterov = true;
                                    c.dampening = 0.1;
                                  })),
                    Catch::Contains("Nesterov momentum requires a momentum and zero dampening"));
  CHECK_THROWS_WITH(validate(with(K::SGD, [](auto &c) { c.nesterov = true; })),
                    Catch::Contains("Nesterov"));
  CHECK_THROWS_WITH(validate(with(K::RMSprop, [](auto &c) { c.alpha = -0.1; })),
                    Catch::Contains("rmsprop optimizer: invalid alpha"));
  CHECK_THROWS_WITH(validate(with(K::SGD, [](auto &c) { c.weightDecay = -1; })),
                    Catch::Contains("invalid weight decay"));
  CHECK_THROWS_WITH(validate(with(K::Adam, [](auto &c) { c.momentum = 0.9; })),
                    Catch::Contains("adam optimizer: momentum does not apply"));
  CHECK_THROWS_WITH(validate(with(K::RMSprop, [](auto &c) { c.nesterov = true; })),
                    Catch::Contains("nesterov does not apply"));
}

TEST_CASE("negative or non-finite learning rates are errors", "[optim]") {
  CHECK_NOTHROW(validateLearningRate(0.0));
  CHECK_NOTHROW(validateLearningRate(0.1));
  CHECK_THROWS_WITH(validateLearningRate(-0.001), Catch::Contains("invalid learning rate"));
  CHECK_THROWS_AS(validateLearningRate(INFINITY), Error);
  CHECK_THROWS_AS(validateLearningRate(std::nan("")), Error);
}

TEST_CASE("the update builder rejects bad operands", "[optim]") {
  Graph g;
  ValueId w = g.addState("w", {DType::F32, {3}});
  ValueId x = g.addInput("x", {DType::F32, {3}});
  ValueId lr = g.addInput("lr", {DType::F32, {}});
  ValueId lr64 = g.addInput("lr64", {DType::F64, {}});
  ValueId n = g.addState("n", {DType::I32, {3}});
  ValueId v = g.addState("v", {DType::F32, {2}});
  OptimizerConfig sgd = defaultConfig(OptimizerKind::SGD);
  CHECK_THROWS_WITH(buildOptimizerUpdate(g, sgd, {{x, x}}, lr),
                    Catch::Contains("is not a parameter"));
  CHECK_THROWS_WITH(buildOptimizerUpdate(g, sgd, {{n, n}}, lr),
                    Catch::Contains("'n' must be a float tensor, got i32[3]"));
  CHECK_THROWS_WITH(buildOptimizerUpdate(g, sgd, {{w, v}}, lr),
                    Catch::Contains("the gradient of 'w' (f32[3]) has type f32[2]"));
  CHECK_THROWS_WITH(buildOptimizerUpdate(g, sgd, {{w, x}, {w, x}}, lr),
                    Catch::Contains("'w' is listed twice"));
  CHECK_THROWS_WITH(buildOptimizerUpdate(g, sgd, {{w, x}}, lr64),
                    Catch::Contains("learning rate must be an f32[] value"));
  OptimizerConfig bad = defaultConfig(OptimizerKind::Adam);
  bad.eps = -1;
  CHECK_THROWS_WITH(buildOptimizerUpdate(g, bad, {{w, x}}, lr), Catch::Contains("invalid eps"));
  // Nothing was added by the failed calls.
  CHECK(g.updates().empty());
  CHECK_FALSE(g.findNamed("step"));

  Graph h;
  ValueId p = h.addState("p", {DType::F32, {3}});
  ValueId grad = h.addInput("g", {DType::F32, {3}});
  ValueId rate = h.addInput("lr", {DType::F32, {}});
  h.addInput("step", {DType::I32, {}});
  CHECK_THROWS_WITH(buildOptimizerUpdate(h, sgd, {{p, grad}}, rate),
                    Catch::Contains("'step' must be i32[] state"));
}

TEST_CASE("moments and the step counter are zero-initialized non-trainable state", "[optim]") {
  Graph g;
  ValueId w = g.addState("fc1.weight", {DType::F32, {2, 3}});
  ValueId grad = g.addInput("grad", {DType::F32, {2, 3}});
  ValueId lr = g.addInput("lr", {DType::F32, {}});
  buildOptimizerUpdate(g, defaultConfig(OptimizerKind::Adam), {{w, grad}}, lr);
  for (const char *name : {"optim.fc1.weight.exp_avg", "optim.fc1.weight.exp_avg_sq", "step"}) {
    auto id = g.findNamed(name);
    REQUIRE(id);
    const Node &node = g.node(*id);
    CHECK(node.op == OpKind::State);
    CHECK(node.attrs.getString("init") == "zeros");
    CHECK_FALSE(node.attrs.getBool("trainable"));
  }
  CHECK(g.type(*g.findNamed("step")) == Type{DType::I32, {}});
  CHECK(g.findUpdate(w));
  CHECK(g.findUpdate(*g.findNamed("optim.fc1.weight.exp_avg")));
  CHECK_FALSE(g.findUpdate(*g.findNamed("step")));
  CHECK(g.node(*g.findUpdate(w)).scope == "optim/fc1.weight");
  CHECK(optimizerSlots(defaultConfig(OptimizerKind::Adam)) ==
        std::vector<std::string>{"exp_avg", "exp_avg_sq"});
  CHECK(optimizerSlots(defaultConfig(OptimizerKind::SGD)).empty());
  CHECK(slotStateName("fc1.weight", "exp_avg") == "optim.fc1.weight.exp_avg");
}
