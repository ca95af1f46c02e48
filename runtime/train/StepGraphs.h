// The graphs kiln runs for a zoo model, built from the frontend's forward pass:
//   forward   the model in train mode (dropout on, batch-norm batch statistics)
//   eval      eval mode plus loss, correct count and predictions
//   backward  forward + cross-entropy loss + gradients of every trainable parameter
//   train     backward + optimizer update + step counter: the whole training step
//             (DESIGN §2), inputs x, y, lr; outputs loss, correct
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/optim/Optimizer.h"

#include <string>
#include <string_view>
#include <vector>

namespace kiln {

enum class Stage { Forward, Eval, Backward, Train };

/// "forward|eval|backward|train"; kiln::Error listing the choices otherwise.
Stage parseStage(std::string_view name);

struct StepOptions {
  OptimizerConfig optimizer;
  /// Parameters whose name starts with one of these get no gradient and no update.
  std::vector<std::string> freeze;
};

/// Builds the `stage` graph of zoo model `model` at batch size `batch`.
Graph buildStageGraph(std::string_view model, Stage stage, int64_t batch,
                      const StepOptions &options = {});

/// The trainable parameter names of `model` that `freeze` leaves trainable; kiln::Error
/// if a freeze prefix matches no parameter (a typo would silently train everything).
std::vector<std::string> trainableParameters(const Graph &graph,
                                             const std::vector<std::string> &freeze);

} // namespace kiln
