#include "kiln/runtime/train/Progress.h"

#include <fmt/core.h>

#include <cstdio>
#include <unistd.h>

namespace kiln {

bool ProgressBar::enabled() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, int64_t total, bool visible)
    : label_(std::move(label)), total_(total), enabled_(visible && enabled()),
      start_(std::chrono::steady_clock::now()), lastDraw_(start_) {}

void ProgressBar::update(int64_t done, int64_t samples, double loss, double accuracy) {
  if (!enabled_)
    return;
  auto now = std::chrono::steady_clock::now();
  // Redraw at most 10 times a second: the terminal is slower than a training step.
  if (done != total_ && now - lastDraw_ < std::chrono::milliseconds(100))
    return;
  lastDraw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(samples) / elapsed : 0;
  double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done)
                        : 0;
  constexpr int kWidth = 24;
  int filled = static_cast<int>(kWidth * done / std::max<int64_t>(total_, 1));
  std::string bar(static_cast<size_t>(filled), '=');
  bar.resize(kWidth, ' ');
  fmt::print(stderr, "\r{} [{}] {}/{} {:.0f} img/s ETA {:.0f}s loss {:.4f} acc {:.4f}\033[K",
             label_, bar, done, total_, rate, eta, loss, accuracy);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (enabled_)
    fmt::print(stderr, "\r\033[K");
}

} // namespace kiln
