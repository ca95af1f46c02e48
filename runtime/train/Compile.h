// Compiling a model for use from a program, in the spirit of LibTorch and torch.compile:
// a TrainStep is model + loss + optimizer compiled into one step function for a batch
// size and a backend; a Predictor is the eval-mode forward pass over the same
// parameters. Both print their IR at every stage exactly as `kiln ir` does.
//
//   kiln::TrainStep step(kiln::classifier("net", {1, 28, 28}, 10, makeNet), 64);
//   kiln::StepResult r = step.run(x, y, 1e-3);   // loss, correct
//   std::cout << step.ir("program");              // the kernel program that runs
#pragma once

#include "kiln/frontend/Zoo.h"
#include "kiln/runtime/train/Executor.h"
#include "kiln/runtime/train/ParamStore.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

struct CompileOptions {
  Backend backend = Backend::Jit;
  OptimizerConfig optimizer{}; ///< Adam with PyTorch's defaults
  /// Module paths ("conv1" or "conv1.") whose parameters get no gradient and no update.
  std::vector<std::string> freeze{};
  /// Seeds the parameters' initialisation and the dropout masks.
  uint64_t seed = 0;
};

/// What one training step reports.
struct StepResult {
  double loss = 0;
  /// Correctly classified examples of the batch; empty for a regression (OutputKind::Values).
  std::optional<int64_t> correct;
};

class TrainStep {
public:
  /// Builds and compiles the training step of `model` at `batch`, and initialises the
  /// parameters (kiln::Error on a bad model, freeze prefix or optimizer setting).
  TrainStep(ModelSpec model, int64_t batch, CompileOptions options = {});

  /// One step on examples x f32[batch, sample...] and targets y (i32[batch] classes for
  /// a classifier, f32 for the other outputs) at learning rate `lr`; updates the
  /// parameters and optimizer state. kiln::Error if x or y do not have the step's types.
  StepResult run(const Tensor &x, const Tensor &y, double lr);

  /// The compiled graph (forward, loss, gradients, update).
  const Graph &graph() const { return executor_->graph(); }
  /// Parameters, buffers and optimizer state, by state_dict name.
  ParamStore &params() { return params_; }
  const ModelSpec &model() const { return model_; }
  int64_t batch() const { return batch_; }
  /// What `kiln ir MODEL --stage STAGE --step train` prints for this step (see stageText).
  std::string ir(std::string_view stage) const;

private:
  /// The step's graph options: under mpirun (joinProcessGroup), this rank of a
  /// data-parallel step whose gradients are averaged over the ranks.
  StepOptions stepOptions() const;

  ModelSpec model_;
  int64_t batch_;
  CompileOptions options_;
  ParamStore params_;
  std::unique_ptr<Executor> executor_;
};

/// The eval-mode forward pass (dropout off, batch norm on running statistics) at a batch
/// size, over a ParamStore that a TrainStep or a checkpoint filled.
class Predictor {
public:
  Predictor(ModelSpec model, int64_t batch, ParamStore &params, Backend backend = Backend::Jit);
  /// The model's output (logits of a classifier) for x f32[batch, sample...].
  Tensor run(const Tensor &x);
  const Graph &graph() const { return executor_->graph(); }

private:
  ModelSpec model_;
  ParamStore &params_;
  std::unique_ptr<Executor> executor_;
};

/// The text of one stage of `model`'s step graphs at `batch`, as `kiln ir` prints it
/// without extra flags: forward | predict | eval | backward | train (graphs), program
/// (the kernel program of `step` after the default pass pipeline), llvm | asm (the JIT's
/// optimized LLVM IR / host assembly of `step`), model (a model file: the forward graph
/// and the eval-mode one, which graphModel reads). kiln::Error listing the stages otherwise.
std::string stageText(const ModelSpec &model, std::string_view stage, int64_t batch,
                      const StepOptions &options = {}, Stage step = Stage::Train);
/// kiln::Error listing every stage stageText knows unless `stage` is one of them.
void checkStageName(std::string_view stage);

} // namespace kiln
