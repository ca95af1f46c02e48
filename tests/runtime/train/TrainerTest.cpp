// The trainer's guarantees: a frozen parameter never changes, and a run resumed from a
// checkpoint is the run that was never interrupted — bit for bit on the interpreter,
// and within the JIT's rounding when the second half runs on the JIT.
#include "TrainTestUtil.h"

#include "kiln/runtime/train/Checkpoint.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace kiln;
using namespace kiln::test;

namespace {

/// Runs `model` for one epoch, checkpoints, loads the checkpoint into a fresh state and
/// trains the second epoch there with `secondHalf`.
RunState resumedRun(const std::string &model, Backend secondHalf) {
  TestDir dir;
  TrainConfig first = tinyConfig(model, 1);
  RunState before;
  trainTiny(first, before);
  saveCheckpoint(dir.str(), first, before);

  RunState after;
  TrainConfig second = tinyConfig(model, 2);
  second.backend = secondHalf;
  loadCheckpoint(dir.str(), buildStageGraph(model, Stage::Train, second.batch, second.step), after);
  REQUIRE(after.epochsDone == 1);
  trainTiny(second, after);
  return after;
}

/// 2-norm of (a - b) relative to the 2-norm of b.
double relativeDifference(const Tensor &a, const Tensor &b) {
  double diff = 0, norm = 0;
  for (int64_t i = 0; i < b.numElements(); ++i) {
    diff += (a.at(i) - b.at(i)) * (a.at(i) - b.at(i));
    norm += b.at(i) * b.at(i);
  }
  return norm == 0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

} // namespace

TEST_CASE("a frozen parameter is bit-identical after training and has no optimizer state",
          "[train]") {
  TrainConfig config = tinyConfig("mlp", 2);
  config.step.freeze = {"fc1."};
  RunState state;
  state.store.bind(buildStageGraph("mlp", Stage::Train, config.batch, config.step), config.seed);
  const Tensor weight = state.store.at("fc1.weight").clone();
  const Tensor bias = state.store.at("fc1.bias").clone();
  const Tensor trained = state.store.at("fc2.weight").clone();

  trainTiny(config, state);

  CHECK(sameBits(state.store.at("fc1.weight"), weight));
  CHECK(sameBits(state.store.at("fc1.bias"), bias));
  CHECK_FALSE(sameBits(state.store.at("fc2.weight"), trained));
  CHECK_FALSE(state.store.has("optim.fc1.weight.exp_avg"));
  CHECK(state.store.has("optim.fc2.weight.exp_avg"));
}

TEST_CASE("a freeze prefix names whole modules and must match one", "[train]") {
  Graph graph = buildStageGraph("mlp", Stage::Train, 4);
  CHECK(trainableParameters(graph, {"fc1"}) == trainableParameters(graph, {"fc1."}));
  CHECK(trainableParameters(graph, {"fc1"}).size() == 4);
  CHECK(trainableParameters(graph, {"fc3.bias"}).size() == 5);
  CHECK_THROWS_WITH(trainableParameters(graph, {"fc"}), Catch::Contains("--freeze fc:"));
  CHECK_THROWS_WITH(trainableParameters(graph, {"fc9."}), Catch::Contains("fc9."));
}

TEST_CASE("resuming from a checkpoint is bitwise the uninterrupted run on the interpreter",
          "[train]") {
  // mlp: dropout and augmentation draw from the counter-based generator, whose counters
  // must continue; icnn: batch-norm running statistics are state too.
  for (const std::string model : {"mlp", "icnn"}) {
    INFO(model);
    RunState straight;
    trainTiny(tinyConfig(model, 2), straight);
    RunState resumed = resumedRun(model, Backend::Interp);

    CHECK(compareStoresBitwise(resumed.store, straight.store) == "");
    REQUIRE(resumed.history.epochs.size() == 2);
    for (size_t e = 0; e < 2; ++e) {
      CHECK(resumed.history.epochs[e].trainLoss == straight.history.epochs[e].trainLoss);
      CHECK(resumed.history.epochs[e].testAcc == straight.history.epochs[e].testAcc);
    }
  }
}

TEST_CASE("a checkpoint written on the interpreter resumes on the JIT", "[train][jit]") {
  RunState straight;
  trainTiny(tinyConfig("mlp", 2), straight);
  RunState resumed = resumedRun("mlp", Backend::Jit);

  REQUIRE(resumed.store.all().size() == straight.store.all().size());
  for (const auto &[name, tensor] : straight.store.all()) {
    INFO(name);
    CHECK(relativeDifference(resumed.store.at(name), tensor) < 1e-4);
  }
  CHECK(resumed.store.at("step").at(0) == straight.store.at("step").at(0));
}
