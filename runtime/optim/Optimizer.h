// Optimizers as graph builders (DESIGN §2): the parameter update is part of the one
// training-step graph. Moments and the step counter are graph state, the learning rate
// is a scalar graph input, and every formula follows PyTorch 1.13's single-tensor
// implementation (torch/optim/{sgd,rmsprop,adam,adamw}.py) in its arithmetic order.
#pragma once

#include "kiln/ir/Graph.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

enum class OptimizerKind { SGD, Momentum, RMSprop, Adam, AdamW };

/// Hyperparameters other than the learning rate (which is a graph input, so a schedule
/// never forces a recompile). Field meanings are PyTorch's.
struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  double momentum = 0.0; ///< SGD and RMSprop; the Momentum kind defaults to 0.9
  double dampening = 0.0;
  bool nesterov = false;
  /// L2 added to the gradient (SGD, RMSprop, Adam); decoupled for AdamW (default 0.01).
  double weightDecay = 0.0;
  double alpha = 0.99; ///< RMSprop's smoothing constant
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
};

/// "sgd", "momentum", "rmsprop", "adam" or "adamw"; kiln::Error listing the choices
/// otherwise.
OptimizerKind parseOptimizerKind(std::string_view name);
/// The inverse of parseOptimizerKind.
std::string_view optimizerKindName(OptimizerKind kind);
/// PyTorch's defaults for `kind`: momentum 0.9 for Momentum, weight decay 0.01 for AdamW.
OptimizerConfig defaultConfig(OptimizerKind kind);
/// PyTorch's default learning rate (1e-3 for Adam and AdamW, 1e-2 for RMSprop); SGD has
/// none in PyTorch, so this gives the tutorial's 1e-2.
double defaultLearningRate(OptimizerKind kind);

/// Throws kiln::Error for values PyTorch rejects (negative momentum, weight decay, eps
/// or alpha; betas outside [0, 1); Nesterov without momentum or with dampening) and for
/// options that do not apply to the kind (e.g. momentum for Adam, nesterov for RMSprop).
void validate(const OptimizerConfig &config);
/// Throws kiln::Error unless `lr` is finite and non-negative.
void validateLearningRate(double lr);

/// The graph state holding optimizer slot `slot` of parameter `param`:
/// "optim.<param>.<slot>", the slot named as in PyTorch's optimizer state_dict
/// (momentum_buffer, square_avg, exp_avg, exp_avg_sq).
std::string slotStateName(std::string_view param, std::string_view slot);
/// The slots `config` keeps per parameter, in creation order.
std::vector<std::string> optimizerSlots(const OptimizerConfig &config);

/// The name of the step-counter state: i32[], the number of completed steps.
inline constexpr std::string_view kStepStateName = "step";

/// Returns the step counter state ("step", i32[], {init = "zeros", trainable = false}),
/// creating it when absent. Throws kiln::Error if "step" names something else.
ValueId stepCounter(Graph &graph);

/// Appends to `graph` the update of every (parameter, gradient) pair with PyTorch's
/// formulas. Each parameter must be float graph state and its gradient of the same type;
/// `lr` must be an f32[] value (normally a graph input). Moments become state named by
/// slotStateName with {init = "zeros", trainable = false}. The step counter (see
/// stepCounter) holds the number of previous steps, so Adam's bias correction uses
/// t = step + 1 and SGD's momentum buffer starts as the gradient when step == 0. The
/// step-dependent scalars are computed in f64, as PyTorch does in Python floats, then
/// rounded to the parameter's type. Emits an update for every parameter and moment,
/// scoped "optim/<param name>"; does NOT update "step" (the training-step assembler
/// does step <- step + 1 once). Throws kiln::Error on an invalid config or operands.
void buildOptimizerUpdate(Graph &graph, const OptimizerConfig &config,
                          const std::vector<std::pair<ValueId, ValueId>> &paramGrads, ValueId lr);

} // namespace kiln
