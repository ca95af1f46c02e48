// The experiments behind `kiln train`, `kiln eval` and `kiln mnist` (spec §9): train a
// model with checkpoints after every epoch, evaluate it, and write every report of
// spec §9-4 to §9-8 into an output folder.
#pragma once

#include "kiln/runtime/train/Trainer.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln {

struct RunPaths {
  std::string data = "data/mnist"; ///< folder of the four IDX files
  std::string out;                 ///< output folder (created; must be writable)
  std::string resume;              ///< checkpoint directory to continue from
  std::string init;                ///< checkpoint whose model state initializes the run
  /// Module paths re-initialized after `init` is loaded (a new head); needs `init`.
  std::vector<std::string> reinit;
};

struct ModelRun {
  ModelSpec model;
  TrainConfig config;
  RunState state;
  EvalResult finalEval;
  bool stoppedEarly = false;
};

/// `kiln train`: trains one model, checkpointing into <out>/checkpoint after every
/// epoch, then writes history, learning curves and the evaluation report into <out>.
/// With paths.resume, the configuration comes from the checkpoint (only `epochs` and
/// the backend are taken from `config`).
ModelRun trainModel(TrainConfig config, const RunPaths &paths);

/// trainModel for any classifier on any data: a user's Module and Datasets get the same
/// checkpoints, history, learning curves and reports as `kiln train` (paths.data is
/// not read).
ModelRun trainModel(const ModelSpec &model, TrainConfig config, const Dataset &train,
                    const Dataset &test, const RunPaths &paths);

/// `kiln mnist`: trains each configuration in turn into <out>/<model>/, then writes the
/// comparison (history of all models, learning curves on one chart) into <out> and the
/// detailed evaluation of the most accurate model.
std::vector<ModelRun> runMnistExperiment(const std::vector<TrainConfig> &configs,
                                         const RunPaths &paths);

/// `kiln eval`: the test-set report of a checkpoint; `model` defaults to the one
/// recorded in the checkpoint. Writes the report into `out` when it is not empty (made
/// only once the checkpoint and the data have been checked) and returns the printed
/// classification report.
EvalResult evaluateCheckpoint(const std::string &checkpoint, std::optional<std::string> model,
                              const std::string &dataDir, const std::string &out, Backend backend,
                              int64_t testBatch);

} // namespace kiln
