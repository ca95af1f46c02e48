// Helpers of the trainer and checkpoint tests: small MNIST-shaped data sets (so that an
// epoch on the interpreter takes milliseconds), a training run in a few lines, and
// bitwise comparison of two parameter stores.
#pragma once

#include "kiln/runtime/train/Trainer.h"
#include "tests/runtime/data/DataTestUtil.h"

#include <fmt/format.h>

#include <cstring>
#include <string>

namespace kiln::test {

/// `n` 28x28 images with labels (i*3)%10: enough to drive every part of a training step.
inline MnistDataset tinyMnist(int64_t n) { return syntheticDataset(n, 28, 28); }

/// A configuration of `model` for the tiny data sets: Adam, batch 64 (so 130 samples
/// give two full batches and a partial one), dropout and augmentation on.
inline TrainConfig tinyConfig(const std::string &model, int64_t epochs) {
  TrainConfig config;
  config.model = model;
  config.epochs = epochs;
  config.batch = 64;
  config.testBatch = 50;
  config.augment = true;
  config.seed = 7;
  return config;
}

/// Trains `state` from its current epoch up to config.epochs.
inline void trainTiny(const TrainConfig &config, RunState &state) {
  static const MnistDataset train = tinyMnist(130), test = tinyMnist(50);
  Trainer trainer(zooEntry(config.model), config, state);
  trainer.fit(train, test);
}

inline bool sameBits(const Tensor &a, const Tensor &b) {
  return a.type() == b.type() && std::memcmp(a.raw(), b.raw(), a.byteSize()) == 0;
}

/// "" when both stores hold the same names with bit-identical tensors; otherwise what
/// differs first.
inline std::string compareStoresBitwise(const ParamStore &a, const ParamStore &b) {
  if (a.all().size() != b.all().size())
    return fmt::format("{} tensors against {}", a.all().size(), b.all().size());
  for (const auto &[name, tensor] : a.all()) {
    if (!b.has(name))
      return name + " is missing";
    if (!sameBits(tensor, b.at(name)))
      return name + " differs";
  }
  return "";
}

} // namespace kiln::test
