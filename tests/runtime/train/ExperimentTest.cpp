// `kiln train` as a whole (runtime/train/Experiment) on a small MNIST-format folder:
// --resume takes the run's saved configuration (optimizer, schedule, seed) and continues
// it bit for bit; every report lands in --out.
#include "TrainTestUtil.h"

#include "kiln/runtime/train/Experiment.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace kiln;
using namespace kiln::test;

namespace {

/// Writes `data` as the IDX pair of `split` into `dir`, under MNIST's file names.
void writeIdx(const std::string &dir, const std::string &split, const MnistDataset &data) {
  auto n = static_cast<uint32_t>(data.size());
  writeRaw(dir + "/" + split + "-images-idx3-ubyte",
           idxBytes({n, uint32_t(data.height), uint32_t(data.width)}, data.images));
  writeRaw(dir + "/" + split + "-labels-idx1-ubyte", idxBytes({n}, data.labels));
}

} // namespace

TEST_CASE("kiln train --resume continues with the saved optimizer, bit for bit", "[train]") {
  TestDir dir;
  writeIdx(dir.str(), "train", tinyMnist(130));
  writeIdx(dir.str(), "t10k", tinyMnist(50));

  TrainConfig config = tinyConfig("mlp", 2);
  config.step.optimizer.kind = OptimizerKind::Momentum;
  config.step.optimizer.momentum = 0.9;
  config.lr = 0.01;
  config.schedule.kind = ScheduleKind::Step;
  config.schedule.stepSize = 1;
  config.schedule.gamma = 0.5;
  RunPaths paths;
  paths.data = dir.str();
  paths.out = dir.file("straight");
  ModelRun straight = trainModel(config, paths);

  config.epochs = 1;
  paths.out = dir.file("halves");
  trainModel(config, paths);
  // As on the command line: only the model and the number of epochs are given again.
  TrainConfig again;
  again.model = "mlp";
  again.epochs = 2;
  paths.resume = dir.file("halves/checkpoint");
  ModelRun resumed = trainModel(again, paths);

  CHECK(resumed.config.step.optimizer.kind == OptimizerKind::Momentum);
  CHECK(compareStoresBitwise(resumed.state.store, straight.state.store) == "");
  REQUIRE(resumed.state.history.epochs.size() == 2);
  CHECK(resumed.state.history.epochs[1].lr == straight.state.history.epochs[1].lr);
  CHECK(resumed.finalEval.predictions == straight.finalEval.predictions);
  for (const char *file : {"history.csv", "learning_curves.svg", "classification_report.txt",
                           "confusion_matrix.png", "checkpoint/model.safetensors"})
    CHECK(std::filesystem::exists(dir.file(std::string("halves/") + file)));
}
