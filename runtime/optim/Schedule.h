// Learning-rate schedules (PyTorch's StepLR and CosineAnnealingLR) as closed forms of
// the epoch. The learning rate is a scalar input of the step graph (DESIGN §2), so the
// trainer evaluates the schedule once per epoch and feeds the value; nothing recompiles.
#pragma once

#include <cstdint>
#include <string_view>

namespace kiln {

enum class ScheduleKind { None, Step, Cosine };

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::None;
  int64_t stepSize = 10; ///< StepLR: epochs between decays
  double gamma = 0.1;    ///< StepLR: decay factor
  int64_t tMax = 50;     ///< CosineAnnealingLR: epochs of a half period
  double etaMin = 0.0;   ///< CosineAnnealingLR: the floor
};

/// "none", "step" or "cosine"; kiln::Error listing the choices otherwise.
ScheduleKind parseScheduleKind(std::string_view name);
/// The inverse of parseScheduleKind.
std::string_view scheduleKindName(ScheduleKind kind);

/// Throws kiln::Error for a step size or tMax below 1, a gamma that is not positive, or
/// a negative (or non-finite) etaMin.
void validate(const ScheduleConfig &config);

/// The learning rate of epoch `epoch` (counting from 0), PyTorch's closed forms:
///   StepLR:            baseLr * gamma^floor(epoch / stepSize)
///   CosineAnnealingLR: etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2
/// Throws kiln::Error on an invalid config, a negative baseLr or a negative epoch.
double learningRate(const ScheduleConfig &config, double baseLr, int64_t epoch);

} // namespace kiln
