// Checkpoints: a round trip restores every tensor bit for bit with the run's history and
// configuration; a checkpoint that does not fit (another model, truncated, interrupted
// between its two files) is refused with a message naming the file and what is wrong.
#include "TrainTestUtil.h"

#include "kiln/runtime/train/Checkpoint.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace kiln;
using namespace kiln::test;

namespace {

/// One epoch of the mlp with SGD, momentum and weight decay, saved into `dir`.
TrainConfig saveTrainedMlp(const std::string &dir, RunState &state) {
  TrainConfig config = tinyConfig("mlp", 1);
  config.step.optimizer.kind = OptimizerKind::Momentum;
  config.step.optimizer.momentum = 0.9;
  config.step.optimizer.weightDecay = 1e-4;
  config.lr = 0.05;
  trainTiny(config, state);
  saveCheckpoint(dir, config, state);
  return config;
}

Graph mlpTrainGraph(const TrainConfig &config) {
  return buildStageGraph("mlp", Stage::Train, config.batch, config.step);
}

} // namespace

TEST_CASE("a checkpoint round trip restores state, epoch, history and configuration",
          "[checkpoint]") {
  TestDir dir;
  RunState saved;
  TrainConfig config = saveTrainedMlp(dir.str(), saved);

  RunState loaded;
  nlohmann::json savedConfig = loadCheckpoint(dir.str(), mlpTrainGraph(config), loaded);

  CHECK(compareStoresBitwise(loaded.store, saved.store) == "");
  CHECK(loaded.epochsDone == 1);
  REQUIRE(loaded.history.epochs.size() == 1);
  CHECK(loaded.history.epochs[0].trainLoss == saved.history.epochs[0].trainLoss);
  CHECK(loaded.history.epochs[0].testAcc == saved.history.epochs[0].testAcc);
  CHECK(savedConfig == configToJson(config));
  CHECK(checkpointModel(dir.str()) == "mlp");
}

TEST_CASE("the model file alone loads as a state_dict into the eval graph", "[checkpoint]") {
  TestDir dir;
  RunState saved;
  TrainConfig config = saveTrainedMlp(dir.str(), saved);

  ParamStore store;
  loadModelState(dir.file(kModelFile), buildStageGraph("mlp", Stage::Eval, 10), store);
  CHECK(store.all().size() == 6); // fc1..fc3 weight and bias, no optimizer state
  CHECK(sameBits(store.at("fc3.weight"), saved.store.at("fc3.weight")));
}

TEST_CASE("a checkpoint of another model is refused, naming what does not match", "[checkpoint]") {
  TestDir dir;
  RunState saved;
  saveTrainedMlp(dir.str(), saved);

  RunState state;
  CHECK_THROWS_WITH(loadCheckpoint(dir.str(), buildStageGraph("cnn", Stage::Train, 64), state),
                    Catch::Contains("model.safetensors") && Catch::Contains("conv1.weight"));
  CHECK(state.store.all().empty());
}

TEST_CASE("a truncated checkpoint file is refused", "[checkpoint]") {
  TestDir dir;
  RunState saved;
  TrainConfig config = saveTrainedMlp(dir.str(), saved);
  const std::string model = dir.file(kModelFile);
  std::filesystem::resize_file(model, std::filesystem::file_size(model) / 2);

  RunState state;
  CHECK_THROWS_WITH(loadCheckpoint(dir.str(), mlpTrainGraph(config), state),
                    Catch::Contains(model));
  CHECK_THROWS_WITH(loadModelState(model, buildStageGraph("mlp", Stage::Eval, 10), state.store),
                    Catch::Contains(model));
}

TEST_CASE("a checkpoint whose two files come from different epochs is refused", "[checkpoint]") {
  TestDir dir;
  RunState state;
  TrainConfig config = saveTrainedMlp(dir.str(), state);
  const std::string epochOne = readFile(dir.file(kTrainStateFile));
  config.epochs = 2;
  trainTiny(config, state);
  saveCheckpoint(dir.str(), config, state);
  writeRaw(dir.file(kTrainStateFile), epochOne); // as if the second save died midway

  RunState loaded;
  CHECK_THROWS_WITH(loadCheckpoint(dir.str(), mlpTrainGraph(config), loaded),
                    Catch::Contains("interrupted"));
}

TEST_CASE("a folder without a checkpoint is refused", "[checkpoint]") {
  TestDir dir;
  RunState state;
  CHECK_THROWS_WITH(
      loadCheckpoint(dir.file("nothing"), buildStageGraph("mlp", Stage::Train, 64), state),
      Catch::Contains("not a checkpoint directory"));
}
