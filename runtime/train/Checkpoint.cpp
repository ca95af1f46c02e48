#include "kiln/runtime/train/Checkpoint.h"

#include "kiln/frontend/GraphModel.h"
#include "kiln/ir/Error.h"
#include "kiln/runtime/io/Safetensors.h"
#include "kiln/runtime/optim/Optimizer.h"
#include "kiln/runtime/train/CheckpointFolder.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace kiln {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char *kFormat = "kiln-checkpoint-1";
/// model.safetensors' metadata key for a model file's text. An optional key: checkpoints
/// without it (from before it existed, or of zoo models) are read as before, so the
/// format keeps its version.
constexpr const char *kModelSourceKey = "kiln.model_source";

std::string modelFilePath(const std::string &path) { return checkpointModelFile(path); }

/// "" if every value of the tensors is finite, else the first tensor that is not and why.
std::string findNonFinite(const std::vector<NamedTensor> &tensors) {
  for (const NamedTensor &t : tensors) {
    DType dtype = t.tensor.dtype();
    if (dtype != DType::F32 && dtype != DType::F64)
      continue;
    for (int64_t i = 0, n = t.tensor.numElements(); i < n; ++i)
      if (double v = t.tensor.at(i); !std::isfinite(v))
        return fmt::format("'{}' holds {} at element {}", t.name,
                           std::isnan(v) ? "NaN" : "an infinity", i);
  }
  return "";
}

json historyToJson(const History &history) {
  json epochs = json::array();
  for (const EpochRecord &r : history.epochs)
    epochs.push_back({{"epoch", r.epoch},
                      {"train_loss", r.trainLoss},
                      {"train_acc", r.trainAcc},
                      {"test_loss", r.testLoss},
                      {"test_acc", r.testAcc},
                      {"seconds", r.seconds},
                      {"lr", r.lr}});
  return {{"model", history.model}, {"epochs", epochs}};
}

History historyFromJson(const json &j) {
  History history;
  history.model = j.at("model").get<std::string>();
  for (const json &e : j.at("epochs"))
    history.epochs.push_back({e.at("epoch").get<int>(), e.at("train_loss").get<double>(),
                              e.at("train_acc").get<double>(), e.at("test_loss").get<double>(),
                              e.at("test_acc").get<double>(), e.at("seconds").get<double>(),
                              e.at("lr").get<double>()});
  return history;
}

/// `state`'s tensors whose names satisfy `keep`, with PyTorch's int64 for counters.
std::vector<NamedTensor> selectState(const ParamStore &store, bool model) {
  std::vector<NamedTensor> out;
  for (const auto &[name, tensor] : store.all())
    if (isModelState(name) == model)
      out.push_back({name, tensor, /*int64OnDisk=*/tensor.dtype() == DType::I32});
  return out;
}

/// The model state a graph expects, as (name, zero tensor) for checkTensorsMatch.
std::vector<NamedTensor> expectedState(const Graph &graph, bool model) {
  std::vector<NamedTensor> out;
  for (ValueId id : graph.states()) {
    const Node &node = graph.node(id);
    if (isModelState(node.name) == model)
      out.push_back({node.name, Tensor(node.type)});
  }
  return out;
}

void loadInto(const SafetensorsFile &file, const std::vector<NamedTensor> &expected,
              ParamStore &store) {
  for (const NamedTensor &e : expected)
    store.set(e.name, file.find(e.name)->clone());
}

/// The Trainer's input normalization; what eval and --resume must feed the model again.
json normToJson(const Normalization &n) { return {{"mean", n.mean}, {"std", n.std}}; }

Normalization normFromJson(const json &j) {
  return {j.at("mean").get<float>(), j.at("std").get<float>()};
}

} // namespace

json configToJson(const TrainConfig &c) {
  const OptimizerConfig &o = c.step.optimizer;
  return {{"model", c.model},
          {"epochs", c.epochs},
          {"batch", c.batch},
          {"test_batch", c.testBatch},
          {"lr", c.lr},
          {"optimizer",
           {{"kind", optimizerKindName(o.kind)},
            {"momentum", o.momentum},
            {"dampening", o.dampening},
            {"nesterov", o.nesterov},
            {"weight_decay", o.weightDecay},
            {"alpha", o.alpha},
            {"beta1", o.beta1},
            {"beta2", o.beta2},
            {"eps", o.eps}}},
          {"freeze", c.step.freeze},
          {"schedule",
           {{"kind", scheduleKindName(c.schedule.kind)},
            {"step_size", c.schedule.stepSize},
            {"gamma", c.schedule.gamma},
            {"t_max", c.schedule.tMax},
            {"eta_min", c.schedule.etaMin}}},
          {"patience", c.patience},
          {"augment", c.augment},
          {"seed", c.seed},
          {"norm", normToJson(c.norm.value_or(Normalization{}))}};
}

TrainConfig configFromJson(const json &j) {
  TrainConfig c;
  c.model = j.at("model").get<std::string>();
  c.epochs = j.at("epochs").get<int64_t>();
  c.batch = j.at("batch").get<int64_t>();
  c.testBatch = j.at("test_batch").get<int64_t>();
  c.lr = j.at("lr").get<double>();
  const json &o = j.at("optimizer");
  c.step.optimizer.kind = parseOptimizerKind(o.at("kind").get<std::string>());
  c.step.optimizer.momentum = o.at("momentum").get<double>();
  c.step.optimizer.dampening = o.at("dampening").get<double>();
  c.step.optimizer.nesterov = o.at("nesterov").get<bool>();
  c.step.optimizer.weightDecay = o.at("weight_decay").get<double>();
  c.step.optimizer.alpha = o.at("alpha").get<double>();
  c.step.optimizer.beta1 = o.at("beta1").get<double>();
  c.step.optimizer.beta2 = o.at("beta2").get<double>();
  c.step.optimizer.eps = o.at("eps").get<double>();
  c.step.freeze = j.at("freeze").get<std::vector<std::string>>();
  const json &s = j.at("schedule");
  c.schedule.kind = parseScheduleKind(s.at("kind").get<std::string>());
  c.schedule.stepSize = s.at("step_size").get<int64_t>();
  c.schedule.gamma = s.at("gamma").get<double>();
  c.schedule.tMax = s.at("t_max").get<int64_t>();
  c.schedule.etaMin = s.at("eta_min").get<double>();
  c.patience = j.at("patience").get<int>();
  c.augment = j.at("augment").get<bool>();
  c.seed = j.at("seed").get<uint64_t>();
  // Checkpoints from before "norm" was recorded were all trained with MNIST's values.
  c.norm = j.contains("norm") ? normFromJson(j.at("norm")) : Normalization{};
  return c;
}

void saveCheckpoint(const std::string &dir, const TrainConfig &config, const RunState &state,
                    const std::string &modelSource, const CheckpointStepHook &hook) {
  std::vector<NamedTensor> trainTensors = selectState(state.store, false);
  std::vector<NamedTensor> modelTensors = selectState(state.store, true);
  for (const auto *tensors : {&modelTensors, &trainTensors})
    if (std::string why = findNonFinite(*tensors); !why.empty())
      fail("{}: not writing the checkpoint of epoch {}: {}", dir, state.epochsDone, why);
  std::string epoch = std::to_string(state.epochsDone);
  const EarlyStopping::State &es = state.earlyStopping;
  // JSON has no infinity: "no best loss yet" is null.
  json early = {{"best", std::isinf(es.best) ? json(nullptr) : json(es.best)},
                {"best_epoch", es.bestEpoch},
                {"epochs", es.epochs},
                {"bad_epochs", es.badEpochs}};
  std::map<std::string, std::string> trainMetadata{
      {"format", kFormat},
      {"kiln.epoch", epoch},
      {"kiln.config", configToJson(config).dump()},
      {"kiln.history", historyToJson(state.history).dump()},
      {"kiln.early_stopping", early.dump()}};
  std::map<std::string, std::string> modelMetadata{
      {"format", "pt"},
      {"kiln.model", config.model},
      {"kiln.epoch", epoch},
      {"kiln.norm", normToJson(config.norm.value_or(Normalization{})).dump()}};
  if (!modelSource.empty())
    modelMetadata[kModelSourceKey] = modelSource;
  auto writer = [](const std::vector<NamedTensor> &tensors,
                   const std::map<std::string, std::string> &metadata) {
    return
        [&tensors, &metadata](const std::string &path, const std::function<void()> &beforeRename) {
          writeSafetensors(path, tensors, metadata, beforeRename);
        };
  };
  writeCheckpointFolder(dir, state.epochsDone,
                        {{kTrainStateFile, writer(trainTensors, trainMetadata)},
                         {kModelFile, writer(modelTensors, modelMetadata)}},
                        hook);
}

std::string checkpointModel(const std::string &path) {
  std::string file = modelFilePath(path);
  SafetensorsFile f = readSafetensors(file);
  auto it = f.metadata.find("kiln.model");
  if (it == f.metadata.end())
    fail("{}: no 'kiln.model' in the metadata; pass --model", file);
  return it->second;
}

ModelSpec checkpointModelSpec(const std::string &path, const std::optional<std::string> &model) {
  if (model)
    return resolveModel(*model);
  std::string file = modelFilePath(path);
  SafetensorsFile f = readSafetensors(file);
  auto name = f.metadata.find("kiln.model");
  if (name == f.metadata.end())
    fail("{}: no 'kiln.model' in the metadata; pass --model", file);
  auto source = f.metadata.find(kModelSourceKey);
  if (source == f.metadata.end())
    return resolveModel(name->second);
  const std::string &recorded = name->second;
  std::ifstream in(recorded, std::ios::binary);
  std::ostringstream now;
  if (in)
    now << in.rdbuf();
  if (!in)
    fmt::print(stderr, "[{}] {} is gone; using the model file kept in {}\n",
               fs::path(recorded).stem().string(), recorded, file);
  else if (now.str() != source->second)
    fmt::print(stderr,
               "[{}] {} has changed since it was trained; using the model file kept in "
               "{}\n",
               fs::path(recorded).stem().string(), recorded, file);
  ModelSpec spec = graphModelText(source->second, recorded);
  spec.description = fmt::format("model file {} (as kept in {})", recorded, file);
  return spec;
}

Normalization checkpointNormalization(const std::string &path) {
  std::string file = modelFilePath(path);
  SafetensorsFile f = readSafetensors(file);
  auto it = f.metadata.find("kiln.norm");
  if (it == f.metadata.end())
    return Normalization{};
  try {
    return normFromJson(json::parse(it->second));
  } catch (const json::exception &e) {
    fail("{}: corrupt metadata 'kiln.norm': {}", file, e.what());
  }
}

void loadModelState(const std::string &path, const Graph &graph, ParamStore &store) {
  std::string file = modelFilePath(path);
  SafetensorsFile f = readSafetensors(file);
  std::vector<NamedTensor> expected = expectedState(graph, true);
  checkTensorsMatch(expected, f, file);
  loadInto(f, expected, store);
}

TrainConfig checkpointConfig(const std::string &dir) {
  return checkpointConfig(findCheckpoint(dir));
}

TrainConfig checkpointConfig(const CheckpointFiles &files) {
  const std::string &path = files.trainState;
  SafetensorsFile train = readSafetensors(path);
  auto it = train.metadata.find("kiln.config");
  if (it == train.metadata.end())
    fail("{}: metadata 'kiln.config' missing", path);
  try {
    return configFromJson(json::parse(it->second));
  } catch (const json::exception &e) {
    fail("{}: corrupt metadata: {}", path, e.what());
  }
}

json loadCheckpoint(const std::string &dir, const Graph &trainGraph, RunState &state) {
  return loadCheckpoint(findCheckpoint(dir), trainGraph, state);
}

json loadCheckpoint(const CheckpointFiles &files, const Graph &trainGraph, RunState &state) {
  const std::string &modelPath = files.model;
  const std::string &trainPath = files.trainState;
  SafetensorsFile model = readSafetensors(modelPath);
  SafetensorsFile train = readSafetensors(trainPath);
  auto meta = [&](const SafetensorsFile &f, const std::string &path, const char *key) {
    auto it = f.metadata.find(key);
    if (it == f.metadata.end())
      fail("{}: metadata '{}' missing", path, key);
    return it->second;
  };
  if (meta(train, trainPath, "format") != kFormat)
    fail("{}: not a kiln train state (format '{}')", trainPath, meta(train, trainPath, "format"));
  std::string epoch = meta(train, trainPath, "kiln.epoch");
  if (meta(model, modelPath, "kiln.epoch") != epoch)
    fail("{}: epoch {} does not match {} (epoch {}): the checkpoint was interrupted while "
         "being written",
         modelPath, meta(model, modelPath, "kiln.epoch"), trainPath, epoch);
  if (files.epoch >= 0 && std::to_string(files.epoch) != epoch)
    fail("{}: epoch {}, but {} says epoch {}", trainPath, epoch, kManifestFile, files.epoch);
  json config;
  try {
    config = json::parse(meta(train, trainPath, "kiln.config"));
    std::string trainedModel = config.at("model").get<std::string>();
    if (std::string named = meta(model, modelPath, "kiln.model"); named != trainedModel)
      fail("{}: model '{}', but {} is of model '{}': not one checkpoint", modelPath, named,
           trainPath, trainedModel);
  } catch (const json::exception &e) {
    fail("{}: corrupt metadata: {}", trainPath, e.what());
  }

  std::vector<NamedTensor> expectedModel = expectedState(trainGraph, true);
  std::vector<NamedTensor> expectedTrain = expectedState(trainGraph, false);
  checkTensorsMatch(expectedModel, model, modelPath);
  checkTensorsMatch(expectedTrain, train, trainPath);
  if (std::string why = findNonFinite(model.tensors); !why.empty())
    fail("{}: {}", modelPath, why);
  if (std::string why = findNonFinite(train.tensors); !why.empty())
    fail("{}: {}", trainPath, why);
  if (const Tensor *step = train.find(kStepStateName); step && step->at(0) < 0)
    fail("{}: step counter {} is negative", trainPath, static_cast<int64_t>(step->at(0)));
  try {
    History history = historyFromJson(json::parse(meta(train, trainPath, "kiln.history")));
    json early = json::parse(meta(train, trainPath, "kiln.early_stopping"));
    size_t used = 0;
    int64_t epochsDone = std::stoll(epoch, &used);
    if (used != epoch.size() || epochsDone < 0)
      fail("{}: corrupt epoch '{}'", trainPath, epoch);
    state.epochsDone = epochsDone;
    state.history = std::move(history);
    const json &best = early.at("best");
    state.earlyStopping = {best.is_null() ? std::numeric_limits<double>::infinity()
                                          : best.get<double>(),
                           early.at("best_epoch").get<int>(), early.at("epochs").get<int>(),
                           early.at("bad_epochs").get<int>()};
    loadInto(model, expectedModel, state.store);
    loadInto(train, expectedTrain, state.store);
    return config;
  } catch (const json::exception &e) {
    fail("{}: corrupt metadata: {}", trainPath, e.what());
  } catch (const std::logic_error &e) {
    fail("{}: corrupt epoch '{}'", trainPath, epoch);
  }
}

} // namespace kiln
