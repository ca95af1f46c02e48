// Learning-rate schedules: PyTorch's `_get_closed_form_lr` of StepLR and
// CosineAnnealingLR (torch/optim/lr_scheduler.py, 1.13).
#include "kiln/runtime/optim/Schedule.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/optim/Optimizer.h"

#include <cassert>
#include <cmath>
#include <numbers>

namespace kiln {

ScheduleKind parseScheduleKind(std::string_view name) {
  if (name == "none")
    return ScheduleKind::None;
  if (name == "step")
    return ScheduleKind::Step;
  if (name == "cosine")
    return ScheduleKind::Cosine;
  fail("unknown learning-rate schedule '{}' (choices: none, step, cosine)", name);
}

std::string_view scheduleKindName(ScheduleKind kind) {
  switch (kind) {
  case ScheduleKind::None:
    return "none";
  case ScheduleKind::Step:
    return "step";
  case ScheduleKind::Cosine:
    return "cosine";
  }
  assert(false && "scheduleKindName: unknown kind");
  return "?";
}

void validate(const ScheduleConfig &c) {
  switch (c.kind) {
  case ScheduleKind::None:
    return;
  case ScheduleKind::Step:
    if (c.stepSize < 1)
      fail("step schedule: step size must be >= 1, got {}", c.stepSize);
    if (!(c.gamma > 0 && std::isfinite(c.gamma)))
      fail("step schedule: gamma must be positive and finite, got {}", c.gamma);
    return;
  case ScheduleKind::Cosine:
    if (c.tMax < 1)
      fail("cosine schedule: T_max must be >= 1, got {}", c.tMax);
    if (!(c.etaMin >= 0 && std::isfinite(c.etaMin)))
      fail("cosine schedule: eta_min must be finite and >= 0, got {}", c.etaMin);
    return;
  }
}

double learningRate(const ScheduleConfig &c, double baseLr, int64_t epoch) {
  validate(c);
  validateLearningRate(baseLr);
  if (epoch < 0)
    fail("learning-rate schedule: negative epoch {}", epoch);
  switch (c.kind) {
  case ScheduleKind::None:
    return baseLr;
  case ScheduleKind::Step:
    return baseLr * std::pow(c.gamma, static_cast<double>(epoch / c.stepSize));
  case ScheduleKind::Cosine:
    return c.etaMin + (baseLr - c.etaMin) *
                          (1 + std::cos(std::numbers::pi * static_cast<double>(epoch) /
                                        static_cast<double>(c.tMax))) /
                          2;
  }
  assert(false && "learningRate: unknown kind");
  return baseLr;
}

} // namespace kiln
