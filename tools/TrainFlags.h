// The training options shared by `kiln train` and `kiln mnist`.
#pragma once

#include "kiln/runtime/train/Trainer.h"
#include "tools/Command.h"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kiln::cli {

struct TrainFlags {
  int64_t epochs = 10;
  int64_t batch = 64;
  int64_t testBatch = 1000;
  std::string optimizer = "adam";
  std::optional<double> lr, momentum, weightDecay;
  bool nesterov = false;
  std::string schedule = "none";
  int64_t stepSize = 10;
  double gamma = 0.1;
  std::optional<int64_t> tMax;
  int patience = 0;
  bool augment = false;
  std::vector<std::string> freeze;
  std::string backend = "jit";
  std::string data = "data/mnist";
  uint64_t seed = 0;
  std::optional<double> normMean, normStd; ///< unset: statistics of the training set

  void declare(CLI::App *sub);
  /// The TrainConfig for `model`; kiln::Error on invalid values.
  TrainConfig config(const std::string &model) const;
};

} // namespace kiln::cli
