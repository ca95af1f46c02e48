// `kiln train` as a whole (runtime/train/Experiment) on a small MNIST-format folder:
// --resume takes the run's saved configuration (optimizer, schedule, seed) and continues
// it bit for bit; every report lands in --out; the checkpoint of a model file keeps the
// file, so `kiln eval` and `kiln predict` work after it moved or changed.
#include "TrainTestUtil.h"

#include "kiln/frontend/GraphModel.h"
#include "kiln/runtime/train/Checkpoint.h"
#include "kiln/runtime/train/Experiment.h"
#include "kiln/runtime/train/Predict.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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

/// A hand-written model file: multinomial logistic regression.
constexpr const char *kSoftmaxRegression = R"(# written by hand
graph @softmax_regression {
  input %x : f32[16,1,28,28]
  state %fc.weight : f32[10,784] {bound = 0.0357, init = "uniform", trainable = true} @fc
  state %fc.bias : f32[10] {init = "zeros", trainable = true} @fc
  %0 = reshape(%x) {shape = [16,784]} : f32[16,784] @flatten
  %1 = matmul(%0, %fc.weight) {transpose_b = true} : f32[16,10] @fc
  %2 = broadcast(%fc.bias) {dims = [1], shape = [16,10]} : f32[16,10] @fc
  %3 = add(%1, %2) : f32[16,10] @fc
  output logits = %3
}
)";

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
                           "confusion_matrix.png", "checkpoint/epoch-2/model.safetensors"})
    CHECK(std::filesystem::exists(dir.file(std::string("halves/") + file)));
}

TEST_CASE("a model file's checkpoint evaluates and predicts after the file moved or changed",
          "[train]") {
  TestDir dir;
  writeIdx(dir.str(), "train", tinyMnist(130));
  writeIdx(dir.str(), "t10k", tinyMnist(50));
  const std::string model = dir.file("softmax_regression.kir");
  writeRaw(model, kSoftmaxRegression);
  RunPaths paths;
  paths.data = dir.str();
  paths.out = dir.file("run");
  ModelRun trained = trainModel(tinyConfig(model, 1), paths);
  const std::string checkpoint = dir.file("run/checkpoint");
  CHECK(checkpointModel(checkpoint) == model);

  auto evaluated = [&] {
    return evaluateCheckpoint(checkpoint, std::nullopt, paths.data, "", Backend::Interp, 50);
  };
  PredictOptions options;
  options.backend = Backend::Interp;
  options.top = 1;
  options.norm = checkpointNormalization(checkpoint);
  auto predicted = [&] {
    std::vector<int32_t> classes;
    for (const Prediction &p :
         predictImages(checkpoint, {dir.file("t10k-images-idx3-ubyte")}, options))
      classes.push_back(p.classes.at(0).first);
    return classes;
  };
  SECTION("moved") { std::filesystem::rename(model, dir.file("elsewhere.kir")); }
  SECTION("changed into another model") {
    writeRaw(model, "graph @other {\n  input %x : f32[2,3]\n}\n");
  }
  SECTION("changed into a comment") { writeRaw(model, "# nothing here any more\n"); }
  EvalResult eval = evaluated();
  CHECK(eval.accuracy == trained.finalEval.accuracy);
  CHECK(eval.predictions == trained.finalEval.predictions);
  CHECK(predicted() == trained.finalEval.predictions);
}

TEST_CASE("a checkpoint that does not keep its model file reads the file", "[train]") {
  // As written before checkpoints kept the file's text: the path is all there is.
  TestDir dir;
  writeIdx(dir.str(), "t10k", tinyMnist(50));
  const std::string model = dir.file("softmax_regression.kir");
  writeRaw(model, kSoftmaxRegression);
  RunState state;
  TrainConfig config = tinyConfig(model, 0);
  Graph graph = buildStageGraph(graphModel(model), Stage::Train, config.batch, config.step);
  state.store.bind(graph, config.seed);
  saveCheckpoint(dir.file("checkpoint"), config, state);
  CHECK(evaluateCheckpoint(dir.file("checkpoint"), std::nullopt, dir.str(), "", Backend::Interp, 50)
            .predictions.size() == 50);
  std::filesystem::remove(model);
  CHECK_THROWS_WITH(
      evaluateCheckpoint(dir.file("checkpoint"), std::nullopt, dir.str(), "", Backend::Interp, 50),
      model + ": cannot open the model file");
}

TEST_CASE("a run whose loss stops being finite ends with an error and keeps the last good "
          "checkpoint",
          "[train]") {
  TestDir dir;
  TrainConfig config = tinyConfig("mlp", 3);
  config.lr = 1e-3;
  // Epoch 1 trains at 1e-3, epoch 2 at 1e27: it diverges there.
  config.schedule.kind = ScheduleKind::Step;
  config.schedule.stepSize = 1;
  config.schedule.gamma = 1e30;
  RunPaths paths;
  paths.out = dir.file("run");
  CHECK_THROWS_WITH(trainModel(zooEntry("mlp"), config, tinyMnist(130), tinyMnist(50), paths),
                    Catch::Matches("\\[mlp\\] training diverged at epoch 2, step [1-3] of 3: the "
                                   "loss is (-?nan|-?inf) \\(learning rate 1e\\+27\\); stopped "
                                   "without a checkpoint of this epoch"));
  CheckpointFiles last = findCheckpoint(dir.file("run/checkpoint"));
  CHECK(last.epoch == 1);
  RunState state;
  loadCheckpoint(last, buildStageGraph("mlp", Stage::Train, config.batch, config.step), state);
  CHECK(state.epochsDone == 1);
  for (const auto &entry : std::filesystem::directory_iterator(dir.file("run/checkpoint")))
    CHECK(entry.path().filename() == "epoch-1");
}
