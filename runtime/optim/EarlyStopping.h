// Early stopping on the validation loss: stop once it has not improved for `patience`
// consecutive epochs. Its counters are plain data so a checkpoint can save and restore
// them and a resumed run stops where the original would have.
#pragma once

#include <limits>

namespace kiln {

class EarlyStopping {
public:
  /// What a checkpoint stores.
  struct State {
    double best = std::numeric_limits<double>::infinity(); ///< lowest loss seen
    int bestEpoch = -1;                                    ///< its epoch; -1 before any
    int epochs = 0;                                        ///< losses seen so far
    int badEpochs = 0; ///< consecutive epochs without improvement
  };

  /// Throws kiln::Error unless patience >= 1 and minDelta >= 0 (and finite).
  explicit EarlyStopping(int patience, double minDelta = 0);

  /// Records the validation loss of the next epoch. The loss improves when it is below
  /// best() - minDelta (a NaN loss never improves). Returns true once `patience`
  /// consecutive epochs have not improved, and keeps returning true until one does.
  bool shouldStop(double valLoss);

  /// The epoch (from 0) of the best loss; -1 before the first call.
  int bestEpoch() const { return state_.bestEpoch; }
  /// The best loss so far; +inf before the first call.
  double best() const { return state_.best; }
  /// Whether the last recorded loss was an improvement (e.g. to save the best model).
  bool improved() const { return state_.epochs > 0 && state_.badEpochs == 0; }
  int patience() const { return patience_; }
  double minDelta() const { return minDelta_; }

  const State &state() const { return state_; }
  /// Restores counters saved from state(); throws kiln::Error if they are inconsistent.
  void restore(const State &state);

private:
  int patience_;
  double minDelta_;
  State state_;
};

} // namespace kiln
