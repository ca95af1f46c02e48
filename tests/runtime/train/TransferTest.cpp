// Transfer learning (spec §10): --init loads what fits by name and shape and lists what it
// skipped; --reinit gives chosen modules fresh initial values and leaves the rest bit for
// bit; the strict loader of --resume and eval still refuses any difference.
#include "TrainTestUtil.h"

#include "kiln/runtime/Init.h"
#include "kiln/runtime/io/Safetensors.h"
#include "kiln/runtime/train/Checkpoint.h"
#include "kiln/runtime/train/Transfer.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kiln;
using namespace kiln::test;

namespace {

/// The model state of `graph` initialized with `seed`, as a run would start.
ParamStore initialModel(const Graph &graph, uint64_t seed) {
  ParamStore store;
  for (ValueId id : graph.states())
    if (isModelState(graph.node(id).name))
      store.set(graph.node(id).name, initialState(graph, id, seed));
  return store;
}

/// Writes the tensors of `store` as a safetensors file, PyTorch-style.
void writeStore(const std::string &path, const ParamStore &store) {
  std::vector<NamedTensor> tensors;
  for (const auto &[name, tensor] : store.all())
    tensors.push_back({name, tensor});
  writeSafetensors(path, tensors);
}

ValueId stateId(const Graph &graph, const std::string &name) { return *graph.findNamed(name); }

} // namespace

TEST_CASE("kiln train --init loads the tensors that fit by name and shape and lists the others",
          "[transfer]") {
  TestDir dir;
  Graph cnn = buildStageGraph("cnn", Stage::Eval, 10);
  ParamStore source = initialModel(cnn, /*seed=*/1);
  // A checkpoint with a 5-class head, no conv1.bias, and a tensor the cnn does not have.
  ParamStore edited;
  for (const auto &[name, tensor] : source.all())
    if (name != "conv1.bias" && name != "fc2.weight")
      edited.set(name, tensor);
  edited.set("fc2.weight", Tensor(Type{DType::F32, {5, 128}}));
  edited.set("head.weight", Tensor(Type{DType::F32, {3}}));
  const std::string file = dir.file("edited.safetensors");
  writeStore(file, edited);

  ParamStore store;
  InitReport report = loadMatchingModelState(file, cnn, store);

  CHECK(report.file == file);
  CHECK(report.loaded == std::vector<std::string>{"conv1.weight", "conv2.weight", "conv2.bias",
                                                  "fc1.weight", "fc1.bias", "fc2.bias"});
  CHECK(report.skipped ==
        std::vector<std::string>{"conv1.bias (missing in checkpoint)",
                                 "fc2.weight (shape [5,128] in checkpoint vs [10,128] in model)"});
  CHECK(report.unused == std::vector<std::string>{"head.weight"});
  for (const std::string &name : report.loaded)
    CHECK(sameBits(store.at(name), source.at(name)));
  CHECK_FALSE(store.has("conv1.bias"));
  CHECK_FALSE(store.has("fc2.weight"));
  CHECK(formatInitReport(report) ==
        "loaded 6 of 8 tensors from " + file +
            "; skipped conv1.bias (missing in checkpoint), fc2.weight (shape [5,128] in "
            "checkpoint vs [10,128] in model); unused in checkpoint: head.weight");

  SECTION("the strict loader of --resume and eval still refuses the same file") {
    ParamStore strict;
    CHECK_THROWS_WITH(loadModelState(file, cnn, strict),
                      Catch::Contains("conv1.bias") && Catch::Contains("fc2.weight"));
    CHECK(strict.all().empty());
  }
}

TEST_CASE("kiln train --init with no tensor in common is an error naming the file", "[transfer]") {
  TestDir dir;
  RunState mlp;
  mlp.store = initialModel(buildStageGraph("mlp", Stage::Eval, 10), 1);
  saveCheckpoint(dir.str(), tinyConfig("mlp", 1), mlp);

  // The mlp's fc1..fc3 and the cnn's fc1, fc2 share names but no shape.
  ParamStore store;
  CHECK_THROWS_WITH(
      loadMatchingModelState(dir.str(), buildStageGraph("cnn", Stage::Eval, 10), store),
      Catch::StartsWith(dir.file("epoch-0/model.safetensors") + ": --init: no tensor fits") &&
          Catch::Contains("fc1.weight (shape [256,784] in checkpoint vs "
                          "[128,3136] in model)") &&
          Catch::Contains("conv1.weight (missing in checkpoint)"));
  CHECK(store.all().empty());
}

TEST_CASE("kiln train --reinit draws fresh initial values for its modules and keeps the rest",
          "[transfer]") {
  Graph mlp = buildStageGraph("mlp", Stage::Eval, 10);
  // Loaded from a run with another seed, so loaded and fresh values differ.
  const ParamStore loaded = initialModel(mlp, /*seed=*/1);
  const uint64_t seed = 2;
  ParamStore store = loaded;

  std::vector<std::string> fresh = reinitializeModules(mlp, {"fc3"}, seed, store);

  CHECK(fresh == std::vector<std::string>{"fc3.weight", "fc3.bias"});
  for (const char *name : {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"})
    CHECK(sameBits(store.at(name), loaded.at(name)));
  for (const std::string &name : fresh) {
    INFO(name);
    const Tensor &t = store.at(name);
    CHECK_FALSE(sameBits(t, loaded.at(name)));
    // Exactly what a fresh run with this seed starts from...
    CHECK(sameBits(t, initialState(mlp, stateId(mlp, name), seed)));
    // ...so within the initializer's bound (PyTorch's 1/sqrt(fan_in) for Linear) and
    // spread across it, not a constant.
    const Node &node = mlp.node(stateId(mlp, name));
    REQUIRE(node.attrs.getString("init", "") == "uniform");
    double bound = node.attrs.getFloat("bound");
    double largest = 0;
    for (int64_t i = 0; i < t.numElements(); ++i)
      largest = std::max(largest, std::abs(t.at(i)));
    CHECK(largest <= bound);
    CHECK(largest > 0.5 * bound);
  }

  SECTION("a prefix that matches no module is an error and changes nothing") {
    ParamStore before = store;
    CHECK_THROWS_WITH(reinitializeModules(mlp, {"fc3", "fc"}, seed, store),
                      "--reinit fc: no parameter of graph 'mlp.eval' has that name or prefix");
    CHECK(compareStoresBitwise(store, before) == "");
  }
}

TEST_CASE("freezing every trainable parameter is refused", "[transfer]") {
  Graph graph = buildStageGraph("mlp", Stage::Train, 4);
  CHECK_THROWS_WITH(
      buildStageGraph("mlp", Stage::Train, 4, {.optimizer = {}, .freeze = {"fc1", "fc2", "fc3"}, .dp = {}}),
      "--freeze fc1 fc2 fc3: every trainable parameter of graph 'mlp.train' is frozen; nothing "
      "left to train");
  CHECK(trainableParameters(graph, {"fc1", "fc2"}) ==
        std::vector<std::string>{"fc3.weight", "fc3.bias"});
}
