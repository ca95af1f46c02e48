// Progress of an epoch on stderr: a live bar with rate, ETA, running loss and accuracy
// when stderr is a terminal; nothing per step otherwise (the trainer prints one line per
// epoch either way).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace kiln {

class ProgressBar {
public:
  /// `label` prefixes the bar ("[cnn] epoch 3/10"); `total` is the number of steps.
  /// `visible` false draws nothing (the ranks of a data-parallel run other than 0).
  ProgressBar(std::string label, int64_t total, bool visible = true);
  /// Step `done` of `total` finished with these running averages.
  void update(int64_t done, int64_t samples, double loss, double accuracy);
  /// Clears the bar's line.
  void finish();
  static bool enabled();

private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, lastDraw_;
};

} // namespace kiln
