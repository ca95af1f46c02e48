// The graphs kiln runs for a model (a ModelSpec: the zoo's or a user's), built from the
// frontend's forward pass:
//   forward   the model in train mode (dropout on, batch-norm batch statistics)
//   predict   the model in eval mode (dropout off, batch-norm running statistics)
//   eval      eval mode plus loss, correct count and predictions (a regression: loss
//             and the output)
//   backward  forward + cross-entropy loss + gradients of every trainable parameter
//   train     backward + optimizer update + step counter: the whole training step
//             (DESIGN §2), inputs x, y, lr; outputs loss, correct (a classifier's)
#pragma once

#include "kiln/frontend/Zoo.h"
#include "kiln/ir/Graph.h"
#include "kiln/passes/DataParallel.h"
#include "kiln/runtime/optim/Optimizer.h"

#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

enum class Stage { Forward, Predict, Eval, Backward, Train };

/// Each step graph's name, in order: the one list that parseStage, kiln ir and their
/// error messages read.
struct StageName {
  Stage stage;
  std::string_view name;
};
inline constexpr StageName kStageNames[] = {{Stage::Forward, "forward"},
                                            {Stage::Predict, "predict"},
                                            {Stage::Eval, "eval"},
                                            {Stage::Backward, "backward"},
                                            {Stage::Train, "train"}};
static_assert(std::size(kStageNames) == static_cast<size_t>(Stage::Train) + 1,
              "every Stage has its name in kStageNames, in order");

/// "forward|predict|eval|backward|train"; kiln::Error listing the choices otherwise.
Stage parseStage(std::string_view name);

struct StepOptions {
  OptimizerConfig optimizer;
  /// Parameters whose name starts with one of these get no gradient and no update.
  std::vector<std::string> freeze;
  /// This process's rank among the data-parallel ranks: above one rank, backward and
  /// train average the gradients over the ranks and dropout draws the rank's part of the
  /// global batch's masks (passes/DataParallel.h). `batch` stays the per-rank batch.
  DataParallel dp;
};

/// Builds the `stage` graph of `model` at batch size `batch`.
Graph buildStageGraph(const ModelSpec &model, Stage stage, int64_t batch,
                      const StepOptions &options = {});
/// buildStageGraph of the zoo model called `model`.
Graph buildStageGraph(std::string_view model, Stage stage, int64_t batch,
                      const StepOptions &options = {});

/// The trainable parameter names of `model` that `freeze` leaves trainable; kiln::Error
/// if a freeze prefix matches no parameter (a typo would silently train everything).
std::vector<std::string> trainableParameters(const Graph &graph,
                                             const std::vector<std::string> &freeze);

} // namespace kiln
