// The Trainer and the experiment on data that is not MNIST: in-memory tensors and CSV
// files, with a user's model; the data/model checks and the CSV reader's errors.
#include "kiln/frontend/Frontend.h"
#include "kiln/runtime/data/DataLoader.h"
#include "kiln/runtime/data/Dataset.h"
#include "kiln/runtime/train/Experiment.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace kiln;
using namespace kiln::test;

namespace {

/// 4 features -> 3 classes.
struct SmallMlp : Module {
  Linear fc1{this, "fc1", 4, 16};
  Linear fc2{this, "fc2", 16, 3};
  Value forward(Value x) override { return fc2(relu(fc1(x))); }
};

ModelSpec smallMlp() {
  return classifier("small_mlp", {4}, 3, [] { return std::make_unique<SmallMlp>(); });
}

/// n examples in three well separated clusters of 4 features.
TensorDataset clusters(int64_t n, uint32_t salt) {
  Tensor x(Type{DType::F32, {n, 4}});
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    int32_t c = static_cast<int32_t>((i * 7 + salt) % 3);
    labels.push_back(c);
    for (int64_t f = 0; f < 4; ++f) {
      double jitter = std::sin(double(i * 4 + f + salt)) * 0.3;
      x.data<float>()[size_t(i * 4 + f)] = float((f == c ? 2.0 : 0.0) + jitter);
    }
  }
  return TensorDataset(std::move(x), std::move(labels), 3);
}

void writeText(const std::string &path, const std::string &text) { std::ofstream(path) << text; }

} // namespace

TEST_CASE("the Trainer trains a user's model on in-memory tensors", "[train]") {
  TensorDataset train = clusters(200, 1), test = clusters(60, 2);
  TrainConfig config;
  config.epochs = 3;
  config.batch = 16;
  config.testBatch = 25;
  config.lr = 1e-2;
  config.backend = Backend::Interp;
  RunState state;
  Trainer trainer(smallMlp(), config, state);
  trainer.fit(train, test);
  REQUIRE(state.history.epochs.size() == 3);
  CHECK(state.history.epochs.back().testAcc > 0.95);
  CHECK(trainer.config().model == "small_mlp");
}

TEST_CASE("the Trainer checks that the data fits the model before training", "[train]") {
  TrainConfig config;
  config.backend = Backend::Interp;
  RunState state;
  Trainer trainer(smallMlp(), config, state);
  Tensor wide(Type{DType::F32, {5, 6}});
  TensorDataset six(wide, {0, 1, 2, 0, 1});
  CHECK_THROWS_WITH(trainer.fit(six, clusters(5, 0)),
                    Catch::Contains("the training set: model 'small_mlp' takes examples shaped "
                                    "[4] in 3 classes; the data has [6] in 3 classes"));
  TensorDataset manyClasses(Tensor(Type{DType::F32, {2, 4}}), {0, 7});
  CHECK_THROWS_WITH(trainer.fit(clusters(5, 0), manyClasses),
                    Catch::Contains("the test set") && Catch::Contains("in 8 classes"));
  CHECK(state.history.epochs.empty());
}

TEST_CASE("kiln's experiment writes every report for a user's model and data", "[train]") {
  TestDir dir;
  TrainConfig config;
  config.epochs = 2;
  config.batch = 32;
  config.lr = 1e-2;
  config.backend = Backend::Interp;
  RunPaths paths;
  paths.out = dir.str() + "/run";
  ModelRun run = trainModel(smallMlp(), config, clusters(100, 1), clusters(30, 2), paths);
  CHECK(run.state.epochsDone == 2);
  for (const char *file :
       {"checkpoint/epoch-2/model.safetensors", "checkpoint/epoch-2/train_state.safetensors",
        "checkpoint/epoch-2/manifest.json", "history.csv", "learning_curves.svg",
        "classification_report.txt", "confusion_matrix.png"})
    CHECK(std::filesystem::exists(paths.out + "/" + file));
  // The checkpoint of epoch 2 replaced that of epoch 1.
  CHECK_FALSE(std::filesystem::exists(paths.out + "/checkpoint/epoch-1"));
  // Examples that are not images have no picture of the misclassified ones.
  CHECK_FALSE(std::filesystem::exists(paths.out + "/misclassified.png"));
}

TEST_CASE("a CSV file of numbers and a label is a data set", "[data]") {
  TestDir dir;
  std::string path = dir.str() + "/data.csv";
  writeText(path, "a,b,label\n0.5, 1e-3 ,2\n-1,+4,0\n\n7,8,1\r\n");
  TensorDataset data = loadCsvDataset(path);
  REQUIRE(data.size() == 3);
  CHECK(data.sampleShape() == Shape{2});
  CHECK(data.numClasses() == 3);
  CHECK(data.label(0) == 2);
  CHECK(data.label(2) == 1);
  std::vector<float> row(2);
  data.read(1, row);
  CHECK(row == std::vector<float>{-1.0f, 4.0f});
  LoaderOptions options;
  options.batchSize = 2;
  options.shuffle = false;
  DataLoader loader(data, options);
  loader.startEpoch(0);
  Batch batch = *loader.next();
  CHECK(batch.x.type() == Type{DType::F32, {2, 2}});
  CHECK(batch.x.data<float>()[1] == Approx(1e-3));
}

TEST_CASE("a malformed CSV file is refused with its line", "[data]") {
  TestDir dir;
  std::string path = dir.str() + "/bad.csv";
  writeText(path, "1,2,0\n3,x,1\n");
  CHECK_THROWS_WITH(loadCsvDataset(path),
                    Catch::Contains("bad.csv:2: column 2: 'x' is not a number"));
  writeText(path, "1,2,0\n3,4,5,1\n");
  CHECK_THROWS_WITH(loadCsvDataset(path),
                    Catch::Contains("bad.csv:2: 4 columns, but the first row has 3"));
  writeText(path, "1,2,0\n3,4,1.5\n");
  CHECK_THROWS_WITH(loadCsvDataset(path), Catch::Contains("bad.csv:2: label 1.5 is not a class"));
  writeText(path, "1,2,0\n3,4,3\n");
  CHECK_THROWS_WITH(loadCsvDataset(path, 3),
                    Catch::Contains("bad.csv:2: label 3 is not a class in 0..2"));
  writeText(path, "h1,h2\n");
  CHECK_THROWS_WITH(loadCsvDataset(path), Catch::Contains("bad.csv: no rows"));
  CHECK_THROWS_WITH(loadCsvDataset(dir.str() + "/missing.csv"), Catch::Contains("cannot open"));
}

TEST_CASE("augmentation needs an image data set", "[data]") {
  TensorDataset data = clusters(4, 0);
  LoaderOptions options;
  options.augment.enabled = true;
  CHECK_THROWS_WITH(DataLoader(data, options), Catch::Contains("augmentation needs an image"));
}
