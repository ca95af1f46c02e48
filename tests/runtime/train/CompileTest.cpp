// The public compile API on models that are not in the zoo: a user's Module with 7
// input channels and odd image sizes, a regression, and a model whose output does not
// fit what it declares. TrainStep and Predictor on both backends, the IR they print,
// and their errors.
#include "kiln/runtime/train/Compile.h"
#include "kiln/frontend/Frontend.h"
#include "kiln/ir/Printer.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kiln;

namespace {

/// 7 channels of 9x11 pixels -> 3 classes: conv, relu, pool, dropout, linear.
struct OddNet : Module {
  Conv2d conv{this, "conv", 7, 5, {.kernel = 3, .padding = 1}};
  MaxPool2d pool{2, 2};
  Dropout dropout{0.1};
  Linear fc{this, "fc", 5 * 4 * 5, 3};

  Value forward(Value x) override {
    x = pool(relu(conv(x))); // [B, 5, 4, 5]
    x = dropout(x.view({-1, 5 * 4 * 5}));
    return fc(x);
  }
};

ModelSpec oddNet() {
  return classifier("oddnet", {7, 9, 11}, 3, [] { return std::make_unique<OddNet>(); });
}

/// A fixed batch whose class is decided by the sign of channel 0's mean.
std::pair<Tensor, Tensor> oddBatch(int64_t batch) {
  Tensor x(Type{DType::F32, {batch, 7, 9, 11}});
  Tensor y(Type{DType::I32, {batch}});
  std::span<float> xs = x.data<float>();
  const int64_t per = 7 * 9 * 11;
  for (int64_t b = 0; b < batch; ++b) {
    int32_t label = static_cast<int32_t>(b % 3);
    y.data<int32_t>()[size_t(b)] = label;
    for (int64_t i = 0; i < per; ++i)
      xs[size_t(b * per + i)] =
          static_cast<float>(std::sin(double(i * (b + 1))) * 0.5 + (label - 1) * (i < 99));
  }
  return {x, y};
}

CompileOptions on(Backend backend, uint64_t seed = 0) {
  CompileOptions options;
  options.backend = backend;
  options.seed = seed;
  return options;
}

struct Affine : Module {
  Linear fc{this, "fc", 3, 2};
  Value forward(Value x) override { return fc(x); }
};

} // namespace

TEST_CASE("a user's Module trains through TrainStep on both backends alike", "[train][jit]") {
  auto [x, y] = oddBatch(17);
  TrainStep interp(oddNet(), 17, on(Backend::Interp, 3));
  TrainStep jit(oddNet(), 17, on(Backend::Jit, 3));
  double first = 0, last = 0;
  for (int step = 0; step < 20; ++step) {
    StepResult a = interp.run(x, y, 3e-3);
    StepResult b = jit.run(x, y, 3e-3);
    INFO("step " << step);
    REQUIRE(b.loss == Approx(a.loss).epsilon(1e-4));
    REQUIRE(a.correct.has_value());
    if (step == 0)
      first = a.loss;
    last = a.loss;
  }
  CHECK(last < 0.5 * first);
  CHECK(interp.params().at("conv.weight").type() == Type{DType::F32, {5, 7, 3, 3}});
}

TEST_CASE("a Predictor runs the eval-mode forward pass over the step's parameters", "[train]") {
  auto [x, y] = oddBatch(3);
  TrainStep step(oddNet(), 3, on(Backend::Interp));
  for (int i = 0; i < 60; ++i)
    step.run(x, y, 1e-2);
  Predictor predict(oddNet(), 3, step.params(), Backend::Interp);
  Tensor logits = predict.run(x);
  REQUIRE(logits.type() == Type{DType::F32, {3, 3}});
  for (int64_t b = 0; b < 3; ++b) {
    std::span<const float> row = logits.data<float>().subspan(size_t(b * 3), 3);
    auto best = std::max_element(row.begin(), row.end()) - row.begin();
    CHECK(best == y.data<int32_t>()[size_t(b)]);
  }
  // Eval mode: no dropout, so two runs agree exactly.
  Tensor again = predict.run(x);
  CHECK(std::equal(again.data<float>().begin(), again.data<float>().end(),
                   logits.data<float>().begin()));
}

TEST_CASE("TrainStep prints its IR at every stage as kiln ir does", "[train]") {
  TrainStep step(oddNet(), 2, on(Backend::Interp));
  CHECK(step.ir("train") == printGraph(step.graph()));
  CHECK(step.ir("forward").find("graph @oddnet.forward") != std::string::npos);
  CHECK(step.ir("predict").find("random_uniform") == std::string::npos);
  CHECK(step.ir("program").find("kernel") != std::string::npos);
  CHECK_THROWS_WITH(step.ir("bogus"), Catch::Contains("forward, predict, eval, backward, train, "
                                                      "program, llvm, asm, model"));
}

TEST_CASE("TrainStep refuses inputs of the wrong type with the types", "[train]") {
  TrainStep step(oddNet(), 4, on(Backend::Interp));
  auto [x, y] = oddBatch(5);
  CHECK_THROWS_WITH(step.run(x, y, 1e-3),
                    Catch::Contains("x is f32[5,7,9,11], but the step takes f32[4,7,9,11]"));
  auto [x4, y4] = oddBatch(4);
  CHECK_THROWS_WITH(step.run(x4, Tensor(Type{DType::F32, {4}}), 1e-3),
                    Catch::Contains("y is f32[4], but the step takes i32[4]"));
  CHECK_THROWS(step.run(x4, y4, -1.0));
}

TEST_CASE("a regression trains with the mean squared error", "[train]") {
  ModelSpec affine{
      "affine", "", {3}, 2, OutputKind::Values, [] { return std::make_unique<Affine>(); }};
  Tensor x(Type{DType::F32, {8, 3}}), y(Type{DType::F32, {8, 2}});
  for (int64_t i = 0; i < 8; ++i) {
    float a = float(i) / 4 - 1, b = float(i % 3) - 1, c = float(i % 2);
    x.data<float>()[size_t(i * 3)] = a;
    x.data<float>()[size_t(i * 3 + 1)] = b;
    x.data<float>()[size_t(i * 3 + 2)] = c;
    y.data<float>()[size_t(i * 2)] = 2 * a - b + 0.5f;
    y.data<float>()[size_t(i * 2 + 1)] = c - a;
  }
  TrainStep step(affine, 8, on(Backend::Interp));
  StepResult result;
  for (int i = 0; i < 600; ++i)
    result = step.run(x, y, 0.05);
  CHECK_FALSE(result.correct.has_value());
  CHECK(result.loss < 1e-4);
}

TEST_CASE("a model whose output does not fit its spec is refused by name", "[train]") {
  ModelSpec wrong = classifier("wrong", {3}, 5, [] { return std::make_unique<Affine>(); });
  CHECK_THROWS_WITH(TrainStep(wrong, 4, on(Backend::Interp)),
                    Catch::Contains("model 'wrong': forward returns f32[4,2]") &&
                        Catch::Contains("must return f32[4,5]"));
  ModelSpec empty = classifier("empty", {3}, 2, nullptr);
  CHECK_THROWS_WITH(TrainStep(empty, 4), Catch::Contains("no Module factory"));
}
