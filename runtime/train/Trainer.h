// Trainer: trains any classifier (a ModelSpec: the zoo's or a user's Module) on any
// Dataset. It runs epochs of the compiled training step over a DataLoader, evaluates on
// the test set with the eval graph over the same ParamStore, keeps the history, reports
// progress, and stops early when asked.
#pragma once

#include "kiln/runtime/data/DataLoader.h"
#include "kiln/runtime/data/Dataset.h"
#include "kiln/runtime/optim/EarlyStopping.h"
#include "kiln/runtime/optim/Schedule.h"
#include "kiln/runtime/report/History.h"
#include "kiln/runtime/train/Executor.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <functional>
#include <optional>
#include <string>

namespace kiln {

struct TrainConfig {
  std::string model = "mlp"; ///< the model's name (the Trainer sets it from its ModelSpec)
  int64_t epochs = 10;
  int64_t batch = 64;
  int64_t testBatch = 1000;
  double lr = 1e-3;
  StepOptions step;
  ScheduleConfig schedule;
  int patience = 0; ///< early stopping on test loss; 0 disables it
  bool augment = false;
  uint64_t seed = 0;
  /// Input normalization. Unset: trainModel computes it from the training set; a Trainer
  /// given none uses MNIST's 0.1307 / 0.3081 (what checkpoints without one were made with).
  std::optional<Normalization> norm;
  Backend backend = Backend::Interp;
};

struct EvalResult {
  double loss = 0;
  double accuracy = 0;
  std::vector<int32_t> predictions; ///< one per test sample, in dataset order
};

/// Everything that a checkpoint must hold to continue a run exactly.
struct RunState {
  ParamStore store;
  int64_t epochsDone = 0;
  History history;
  EarlyStopping::State earlyStopping;
};

/// kiln::Error unless `data` holds examples shaped as `model` takes them, in classes
/// the model has; `what` names the data in the message ("the training set", a path).
void checkModelFitsData(const ModelSpec &model, const Dataset &data, const std::string &what);

/// Under `mpirun -np N` (runtime/dist/ProcessGroup.h: joinProcessGroup) a Trainer is one
/// rank of a data-parallel run: each step trains on its part of a global batch of N x
/// config.batch (the gradients are averaged in the step), evaluation is split between
/// the ranks and its metrics summed, and only rank 0 prints. At every epoch end the ranks
/// take rank 0's batch-norm running statistics and check that their state is bitwise
/// rank 0's.
class Trainer {
public:
  /// Builds nothing yet: graphs are compiled per batch size on first use. `model` must
  /// be a classifier (OutputKind::Logits).
  Trainer(ModelSpec model, TrainConfig config, RunState &state);

  /// Trains one epoch (index `epoch`, from 0) and evaluates; appends to the history.
  /// kiln::Error naming the epoch and step as soon as a loss is not finite (the run
  /// diverged): the epoch is not recorded, so no checkpoint of it is written.
  EpochRecord runEpoch(const Dataset &train, const Dataset &test, int64_t epoch);
  /// Runs the remaining epochs; `afterEpoch` is called after each (for checkpoints).
  /// Returns true if early stopping ended the run. Checks first that both data sets fit
  /// the model.
  bool fit(const Dataset &train, const Dataset &test,
           const std::function<void(const EpochRecord &)> &afterEpoch = {});
  EvalResult evaluate(const Dataset &test);

  const TrainConfig &config() const { return config_; }
  const ModelSpec &model() const { return model_; }

private:
  ModelSpec model_;
  TrainConfig config_;
  RunState &state_;
  DataParallel dp_; ///< this process's rank of the current communicator
  StepCache trainSteps_;
  StepCache evalSteps_;
};

} // namespace kiln
