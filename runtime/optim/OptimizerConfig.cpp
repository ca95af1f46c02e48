// Names, PyTorch defaults and validation of optimizer configurations.
#include "kiln/runtime/optim/Optimizer.h"

#include "kiln/ir/Error.h"

#include <array>
#include <cassert>
#include <cmath>

namespace kiln {

namespace {

struct KindName {
  OptimizerKind kind;
  std::string_view name;
};

constexpr std::array<KindName, 5> kKindNames = {{{OptimizerKind::SGD, "sgd"},
                                                 {OptimizerKind::Momentum, "momentum"},
                                                 {OptimizerKind::RMSprop, "rmsprop"},
                                                 {OptimizerKind::Adam, "adam"},
                                                 {OptimizerKind::AdamW, "adamw"}}};

/// Fails unless lo <= value <= hi (or < hi when `openHigh`); NaN fails too, which a
/// plain `value < lo` test would let through.
void checkRange(std::string_view kind, const char *what, double value, double lo, double hi,
                bool openHigh = false) {
  bool ok = value >= lo && (openHigh ? value < hi : value <= hi);
  if (!ok)
    fail("{} optimizer: invalid {} {} (must be in [{}, {}{})", kind, what, value, lo, hi,
         openHigh ? ")" : "]");
}

void checkNotApplicable(std::string_view kind, bool set, const char *what) {
  if (set)
    fail("{} optimizer: {} does not apply (only to sgd/momentum{})", kind, what,
         std::string_view(what) == "momentum" ? " and rmsprop" : "");
}

} // namespace

OptimizerKind parseOptimizerKind(std::string_view name) {
  for (const KindName &k : kKindNames)
    if (k.name == name)
      return k.kind;
  fail("unknown optimizer '{}' (choices: sgd, momentum, rmsprop, adam, adamw)", name);
}

std::string_view optimizerKindName(OptimizerKind kind) {
  for (const KindName &k : kKindNames)
    if (k.kind == kind)
      return k.name;
  assert(false && "optimizerKindName: kind missing from kKindNames");
  return "?";
}

OptimizerConfig defaultConfig(OptimizerKind kind) {
  OptimizerConfig config;
  config.kind = kind;
  switch (kind) {
  case OptimizerKind::SGD:
  case OptimizerKind::RMSprop:
  case OptimizerKind::Adam:
    break;
  case OptimizerKind::Momentum:
    config.momentum = 0.9;
    break;
  case OptimizerKind::AdamW:
    config.weightDecay = 0.01;
    break;
  }
  return config;
}

double defaultLearningRate(OptimizerKind kind) {
  switch (kind) {
  case OptimizerKind::SGD:
  case OptimizerKind::Momentum:
  case OptimizerKind::RMSprop:
    return 1e-2;
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW:
    return 1e-3;
  }
  assert(false && "defaultLearningRate: unknown kind");
  return 0;
}

void validate(const OptimizerConfig &c) {
  std::string_view kind = optimizerKindName(c.kind);
  constexpr double inf = HUGE_VAL;
  checkRange(kind, "eps", c.eps, 0, inf, /*openHigh=*/true);
  checkRange(kind, "weight decay", c.weightDecay, 0, inf, /*openHigh=*/true);
  switch (c.kind) {
  case OptimizerKind::SGD:
  case OptimizerKind::Momentum:
    checkRange(kind, "momentum", c.momentum, 0, inf, /*openHigh=*/true);
    checkRange(kind, "dampening", c.dampening, 0, 1);
    if (c.kind == OptimizerKind::Momentum && c.momentum == 0)
      fail("momentum optimizer: momentum must be positive (use sgd for plain SGD)");
    if (c.nesterov && (c.momentum == 0 || c.dampening != 0))
      fail("{} optimizer: Nesterov momentum requires a momentum and zero dampening", kind);
    return;
  case OptimizerKind::RMSprop:
    checkRange(kind, "alpha", c.alpha, 0, 1);
    checkRange(kind, "momentum", c.momentum, 0, inf, /*openHigh=*/true);
    checkNotApplicable(kind, c.dampening != 0, "dampening");
    checkNotApplicable(kind, c.nesterov, "nesterov");
    return;
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW:
    checkRange(kind, "beta1", c.beta1, 0, 1, /*openHigh=*/true);
    checkRange(kind, "beta2", c.beta2, 0, 1, /*openHigh=*/true);
    checkNotApplicable(kind, c.momentum != 0, "momentum");
    checkNotApplicable(kind, c.dampening != 0, "dampening");
    checkNotApplicable(kind, c.nesterov, "nesterov");
    return;
  }
}

void validateLearningRate(double lr) {
  if (!(lr >= 0 && std::isfinite(lr)))
    fail("invalid learning rate {} (must be finite and >= 0)", lr);
}

std::string slotStateName(std::string_view param, std::string_view slot) {
  return fmt::format("optim.{}.{}", param, slot);
}

std::vector<std::string> optimizerSlots(const OptimizerConfig &c) {
  switch (c.kind) {
  case OptimizerKind::SGD:
  case OptimizerKind::Momentum:
    if (c.momentum != 0)
      return {"momentum_buffer"};
    return {};
  case OptimizerKind::RMSprop:
    if (c.momentum != 0)
      return {"square_avg", "momentum_buffer"};
    return {"square_avg"};
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW:
    return {"exp_avg", "exp_avg_sq"};
  }
  assert(false && "optimizerSlots: unknown kind");
  return {};
}

} // namespace kiln
