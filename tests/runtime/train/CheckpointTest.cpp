// Checkpoints: a round trip restores every tensor bit for bit with the run's history and
// configuration; a checkpoint that does not fit (another model, truncated, interrupted
// between its two files, a negative step, non-finite values) is refused with a message
// naming the file and what is wrong; a write interrupted at any step leaves the previous
// checkpoint or the new one, complete.
#include "TrainTestUtil.h"

#include "kiln/runtime/train/Checkpoint.h"
#include "tests/runtime/io/TestDir.h"

#include "kiln/runtime/io/Safetensors.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>

#include <sys/wait.h>
#include <unistd.h>

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

/// Copies the files of `from`'s newest checkpoint into folder `to` itself, as checkpoints
/// were laid out before epoch folders; `edit` may change each file on the way.
void copyAsOneFolder(
    const std::string &from, const std::string &to,
    const std::function<void(const std::string &name, SafetensorsFile &)> &edit = {}) {
  CheckpointFiles files = findCheckpoint(from);
  std::filesystem::create_directories(to);
  for (const std::string &path : {files.model, files.trainState}) {
    SafetensorsFile f = readSafetensors(path);
    std::string name = std::filesystem::path(path).filename().string();
    if (edit)
      edit(name, f);
    writeSafetensors((std::filesystem::path(to) / name).string(), f.tensors, f.metadata);
  }
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

  CHECK(checkpointModelFile(dir.str()) == dir.file("epoch-1/model.safetensors"));
  ParamStore store;
  loadModelState(checkpointModelFile(dir.str()), buildStageGraph("mlp", Stage::Eval, 10), store);
  CHECK(store.all().size() == 6); // fc1..fc3 weight and bias, no optimizer state
  CHECK(sameBits(store.at("fc3.weight"), saved.store.at("fc3.weight")));
  ParamStore fromFolder; // the folder, and the epoch folder, name the same file
  loadModelState(dir.file("epoch-1"), buildStageGraph("mlp", Stage::Eval, 10), fromFolder);
  CHECK(compareStoresBitwise(fromFolder, store) == "");
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
  const std::string model = checkpointModelFile(dir.str());
  std::filesystem::resize_file(model, std::filesystem::file_size(model) / 2);

  RunState state;
  CHECK_THROWS_WITH(loadCheckpoint(dir.str(), mlpTrainGraph(config), state),
                    Catch::StartsWith(dir.str() + ": no complete checkpoint") &&
                        Catch::Contains("epoch-1: model.safetensors is not the file "
                                        "manifest.json names"));
  CHECK_THROWS_WITH(loadModelState(model, buildStageGraph("mlp", Stage::Eval, 10), state.store),
                    Catch::Contains(model));
}

TEST_CASE("a checkpoint in one folder, as written before epoch folders, still loads",
          "[checkpoint]") {
  TestDir dir;
  RunState saved;
  TrainConfig config = saveTrainedMlp(dir.file("new"), saved);
  copyAsOneFolder(dir.file("new"), dir.file("old"));

  CheckpointFiles files = findCheckpoint(dir.file("old"));
  CHECK(files.model == dir.file("old/model.safetensors"));
  RunState loaded;
  loadCheckpoint(dir.file("old"), mlpTrainGraph(config), loaded);
  CHECK(compareStoresBitwise(loaded.store, saved.store) == "");
  CHECK(loaded.epochsDone == 1);
  CHECK(checkpointModel(dir.file("old")) == "mlp");

  // Saving into it replaces the old layout by an epoch folder.
  saveCheckpoint(dir.file("old"), config, saved);
  CHECK(!std::filesystem::exists(dir.file("old/model.safetensors")));
  CHECK(findCheckpoint(dir.file("old")).model == dir.file("old/epoch-1/model.safetensors"));
}

TEST_CASE("a one-folder checkpoint whose two files come from different epochs is refused",
          "[checkpoint]") {
  TestDir dir;
  RunState state;
  TrainConfig config = saveTrainedMlp(dir.file("run"), state);
  copyAsOneFolder(dir.file("run"), dir.file("old"));
  const std::string epochOne = readFile(dir.file("old/train_state.safetensors"));
  config.epochs = 2;
  trainTiny(config, state);
  saveCheckpoint(dir.file("run"), config, state);
  copyAsOneFolder(dir.file("run"), dir.file("old"));
  writeRaw(dir.file("old/train_state.safetensors"), epochOne); // the second save died midway

  RunState loaded;
  CHECK_THROWS_WITH(loadCheckpoint(dir.file("old"), mlpTrainGraph(config), loaded),
                    Catch::Contains("interrupted"));
}

TEST_CASE("a checkpoint's files must be of one model, with a step >= 0 and finite values",
          "[checkpoint]") {
  TestDir dir;
  RunState saved;
  TrainConfig config = saveTrainedMlp(dir.file("run"), saved);
  auto metadata = [](const char *file, const char *key, std::string value) {
    return [=](const std::string &name, SafetensorsFile &f) {
      if (name == file)
        f.metadata[key] = value;
    };
  };
  auto tensor = [](const char *file, const char *tensorName, double value) {
    return [=](const std::string &name, SafetensorsFile &f) {
      if (name == file)
        for (NamedTensor &t : f.tensors)
          if (t.name == tensorName)
            Tensor(t.tensor).set(0, value);
    };
  };
  struct Case {
    const char *what;
    std::function<void(const std::string &, SafetensorsFile &)> edit;
    std::string error;
  };
  const std::string old = dir.file("old");
  std::vector<Case> cases = {
      {"another model's model file", metadata(kModelFile, "kiln.model", "cnn"),
       old + "/model.safetensors: model 'cnn', but " + old +
           "/train_state.safetensors is of model 'mlp': not one checkpoint"},
      {"a negative step counter", tensor(kTrainStateFile, "step", -5),
       old + "/train_state.safetensors: step counter -5 is negative"},
      {"a NaN weight", tensor(kModelFile, "fc1.weight", std::nan("")),
       old + "/model.safetensors: 'fc1.weight' holds NaN at element 0"},
      {"an infinite optimizer slot",
       tensor(kTrainStateFile, "optim.fc1.weight.momentum_buffer",
              std::numeric_limits<double>::infinity()),
       old + "/train_state.safetensors: 'optim.fc1.weight.momentum_buffer' holds an infinity at "
             "element "
             "0"},
      {"a negative epoch",
       [](const std::string &, SafetensorsFile &f) { f.metadata["kiln.epoch"] = "-1"; },
       old + "/train_state.safetensors: corrupt epoch '-1'"},
  };
  for (const Case &c : cases) {
    SECTION(c.what) {
      copyAsOneFolder(dir.file("run"), old, c.edit);
      RunState loaded;
      CHECK_THROWS_WITH(loadCheckpoint(old, mlpTrainGraph(config), loaded), c.error);
    }
  }
}

TEST_CASE("a checkpoint holding NaN is not written", "[checkpoint]") {
  TestDir dir;
  RunState state;
  TrainConfig config = saveTrainedMlp(dir.str(), state);
  Tensor bias = state.store.at("fc2.bias"); // shares the store's data
  bias.set(3, std::nan(""));
  state.epochsDone = 2;
  CHECK_THROWS_WITH(saveCheckpoint(dir.str(), config, state),
                    dir.str() + ": not writing the checkpoint of epoch 2: 'fc2.bias' holds NaN at "
                                "element 3");
  CHECK(findCheckpoint(dir.str()).epoch == 1);
  CHECK(dir.entries() == std::vector<std::string>{"epoch-1"});
}

namespace {

/// The steps of writing a checkpoint, by name, as the hook sees them.
std::vector<std::string> checkpointSteps(const std::string &dir, const TrainConfig &config,
                                         const RunState &state) {
  std::vector<std::string> steps;
  saveCheckpoint(dir, config, state, {}, [&](std::string_view step) { steps.emplace_back(step); });
  return steps;
}

/// Writes the checkpoint of `state` into `dir` in a child process that ends abruptly
/// (_exit: no destructor, no clean-up, as in a crash) before step `crashAt`.
void crashWhileSaving(const std::string &dir, const TrainConfig &config, const RunState &state,
                      size_t crashAt) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    size_t step = 0;
    try {
      saveCheckpoint(dir, config, state, {}, [&](std::string_view) {
        if (step++ == crashAt)
          ::_exit(0);
      });
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

} // namespace

TEST_CASE("a checkpoint write interrupted at any step leaves the previous or the new one",
          "[checkpoint]") {
  RunState first;
  TrainConfig config = tinyConfig("mlp", 1);
  trainTiny(config, first);
  RunState second = first;
  second.store = ParamStore();
  for (const auto &[name, tensor] : first.store.all())
    second.store.set(name, tensor.clone());
  // The second save: the next epoch of the run, or (epoch 1 again) a new run writing over
  // the folder, which replaces an epoch folder of the same name.
  int64_t secondEpoch = GENERATE(2, 1);
  bool crash = GENERATE(true, false); // crash (child process) or exception (in process)
  second.epochsDone = secondEpoch;
  for (const auto &[name, tensor] : second.store.all())
    if (Tensor t = tensor; t.dtype() == DType::F32) // shares the store's data
      t.set(0, t.at(0) + 1);
  second.history.epochs.push_back(second.history.epochs.back());

  std::vector<std::string> steps;
  {
    TestDir scratch;
    saveCheckpoint(scratch.str(), config, first);
    steps = checkpointSteps(scratch.str(), config, second);
  }
  INFO("steps: " << fmt::format("{}", fmt::join(steps, "; ")));
  REQUIRE(steps.size() >= (secondEpoch == 1 ? 9u : 8u)); // + "set aside epoch-1"
  auto commit = std::find(steps.begin(), steps.end(), "rename manifest.json");
  REQUIRE(commit != steps.end());

  for (size_t k = 0; k <= steps.size(); ++k) {
    INFO("interrupted before step "
         << k << " (" << (k < steps.size() ? steps[k] : "none: completed") << "), "
         << (crash ? "crash" : "exception") << ", second epoch " << secondEpoch);
    TestDir dir;
    saveCheckpoint(dir.str(), config, first);
    if (crash) {
      crashWhileSaving(dir.str(), config, second, k);
    } else {
      size_t step = 0;
      try {
        saveCheckpoint(dir.str(), config, second, {}, [&](std::string_view) {
          if (step++ == k)
            throw std::runtime_error("injected");
        });
      } catch (const std::runtime_error &) {
      }
    }
    // Resuming finds a complete checkpoint: the first one until the manifest's rename,
    // the second one from then on.
    bool committed = k > static_cast<size_t>(commit - steps.begin());
    const RunState &expected = committed ? second : first;
    RunState loaded;
    REQUIRE_NOTHROW(loadCheckpoint(dir.str(), mlpTrainGraph(config), loaded));
    CHECK(loaded.epochsDone == expected.epochsDone);
    CHECK(loaded.history.epochs.size() == expected.history.epochs.size());
    CHECK(compareStoresBitwise(loaded.store, expected.store) == "");
    // kiln eval reads the same checkpoint's model.
    ParamStore model;
    loadModelState(dir.str(), buildStageGraph("mlp", Stage::Eval, 10), model);
    CHECK(sameBits(model.at("fc1.weight"), expected.store.at("fc1.weight")));
    // And the next save cleans up whatever the interrupted one left behind.
    RunState third = second;
    third.epochsDone = 3;
    saveCheckpoint(dir.str(), config, third);
    CHECK(dir.entries() == std::vector<std::string>{"epoch-3"});
    CHECK(findCheckpoint(dir.str()).epoch == 3);
  }
}

TEST_CASE("a folder without a checkpoint is refused", "[checkpoint]") {
  TestDir dir;
  RunState state;
  CHECK_THROWS_WITH(
      loadCheckpoint(dir.file("nothing"), buildStageGraph("mlp", Stage::Train, 64), state),
      Catch::Contains("not a checkpoint directory"));
  std::filesystem::create_directories(dir.file("empty/epoch-1"));
  CHECK_THROWS_WITH(
      loadCheckpoint(dir.file("empty"), buildStageGraph("mlp", Stage::Train, 64), state),
      dir.file("empty") + ": no complete checkpoint (an epoch-N folder holding model.safetensors, "
                          "train_state.safetensors and manifest.json)");
}
