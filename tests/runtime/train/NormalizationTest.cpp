// The input normalization of a run: computed from the training set unless given, recorded
// in the checkpoint, and used again by `kiln eval` and --resume; checkpoints from before
// it was recorded keep MNIST's 0.1307 / 0.3081.
#include "TrainTestUtil.h"

#include "kiln/runtime/data/PixelStats.h"
#include "kiln/runtime/io/Safetensors.h"
#include "kiln/runtime/train/Checkpoint.h"
#include "kiln/runtime/train/Experiment.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace kiln;
using namespace kiln::test;

namespace {

/// Writes `data` as the IDX pair of `split` ("train" or "t10k") into `dir`.
void writeSplitIdx(const std::string &dir, const std::string &split, const MnistDataset &data) {
  auto n = static_cast<uint32_t>(data.size());
  writeRaw(dir + "/" + split + "-images-idx3-ubyte",
           idxBytes({n, uint32_t(data.height), uint32_t(data.width)}, data.images));
  writeRaw(dir + "/" + split + "-labels-idx1-ubyte", idxBytes({n}, data.labels));
}

bool sameNorm(const Normalization &a, const Normalization &b) {
  return a.mean == b.mean && a.std == b.std;
}

} // namespace

TEST_CASE("a run normalizes with its training set's statistics and eval uses them again",
          "[train][norm]") {
  TestDir dir;
  writeSplitIdx(dir.str(), "train", tinyMnist(130));
  writeSplitIdx(dir.str(), "t10k", tinyMnist(50));
  const Normalization stats = pixelStatistics(loadMnist(dir.str(), Split::Train));
  // The synthetic images are far from MNIST's, so the test tells the two apart.
  REQUIRE_FALSE(sameNorm(stats, Normalization{}));

  TrainConfig config = tinyConfig("mlp", 1);
  RunPaths paths;
  paths.data = dir.str();
  paths.out = dir.file("run");
  ModelRun run = trainModel(config, paths);

  REQUIRE(run.config.norm);
  CHECK(sameNorm(*run.config.norm, stats));
  const std::string checkpoint = dir.file("run/checkpoint");
  CHECK(sameNorm(*checkpointConfig(checkpoint).norm, stats));
  CHECK(sameNorm(checkpointNormalization(checkpoint), stats));
  CHECK(sameNorm(checkpointNormalization(dir.file("run/checkpoint/epoch-1/model.safetensors")),
                 stats));

  // kiln eval feeds the test set exactly as the run's final evaluation did...
  EvalResult eval =
      evaluateCheckpoint(checkpoint, std::nullopt, dir.str(), "", Backend::Interp, 50);
  CHECK(eval.loss == run.finalEval.loss);
  CHECK(eval.predictions == run.finalEval.predictions);
  // ...which MNIST's values would not have done.
  TrainConfig mnistNorm = run.config;
  mnistNorm.norm = Normalization{};
  Trainer other(run.model, mnistNorm, run.state);
  CHECK(other.evaluate(loadMnist(dir.str(), Split::Test)).loss != run.finalEval.loss);

  SECTION("given values are used as they are") {
    config.norm = Normalization{0.5f, 0.25f};
    paths.out = dir.file("given");
    ModelRun given = trainModel(config, paths);
    CHECK(sameNorm(*given.config.norm, {0.5f, 0.25f}));
    CHECK(sameNorm(checkpointNormalization(dir.file("given/checkpoint")), {0.5f, 0.25f}));
  }
}

TEST_CASE("checkpoints without a recorded normalization keep MNIST's", "[checkpoint][norm]") {
  TestDir dir;
  nlohmann::json old = configToJson(tinyConfig("mlp", 1));
  old.erase("norm");
  CHECK(sameNorm(*configFromJson(old).norm, {0.1307f, 0.3081f}));

  // A state_dict without kiln's metadata, as PyTorch or an older kiln writes it.
  writeSafetensors(dir.file("plain.safetensors"), {{"fc3.bias", Tensor(Type{DType::F32, {10}})}},
                   {{"format", "pt"}});
  CHECK(sameNorm(checkpointNormalization(dir.file("plain.safetensors")), {0.1307f, 0.3081f}));
}
