// Early stopping: a counter of consecutive epochs without improvement.
#include "kiln/runtime/optim/EarlyStopping.h"

#include "kiln/ir/Error.h"

#include <cmath>

namespace kiln {

EarlyStopping::EarlyStopping(int patience, double minDelta)
    : patience_(patience), minDelta_(minDelta) {
  if (patience < 1)
    fail("early stopping: patience must be >= 1, got {}", patience);
  if (!(minDelta >= 0 && std::isfinite(minDelta)))
    fail("early stopping: min delta must be finite and >= 0, got {}", minDelta);
}

bool EarlyStopping::shouldStop(double valLoss) {
  // Written so that NaN compares false and never counts as an improvement.
  if (valLoss < state_.best - minDelta_) {
    state_.best = valLoss;
    state_.bestEpoch = state_.epochs;
    state_.badEpochs = 0;
  } else {
    ++state_.badEpochs;
  }
  ++state_.epochs;
  return state_.badEpochs >= patience_;
}

void EarlyStopping::restore(const State &s) {
  bool seen = s.epochs > 0;
  bool consistent = s.epochs >= 0 && s.badEpochs >= 0 && s.badEpochs <= s.epochs &&
                    s.bestEpoch < s.epochs && (seen ? s.bestEpoch >= -1 : s.bestEpoch == -1);
  if (!consistent)
    fail("early stopping: inconsistent saved state (epochs {}, best epoch {}, epochs without "
         "improvement {})",
         s.epochs, s.bestEpoch, s.badEpochs);
  state_ = s;
}

} // namespace kiln
