// Kernel profiling: a thread-local current profile and the time of the last mark.
#include "kiln/codegen/Profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <numeric>

namespace kiln::codegen {

namespace {
thread_local KernelProfile *current = nullptr;
thread_local std::chrono::steady_clock::time_point last;
} // namespace

void setCurrentProfile(KernelProfile *profile) { current = profile; }

std::string KernelProfile::report(size_t top) const {
  std::vector<size_t> order(seconds.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return seconds[a] > seconds[b]; });
  double total = std::accumulate(seconds.begin(), seconds.end(), 0.0);
  double perRun = runs ? total / double(runs) : 0;
  std::string text = fmt::format("{} kernels, {:.3f} ms per run over {} runs\n", seconds.size(),
                                 perRun * 1e3, runs);
  if (waitSeconds > 0)
    text += fmt::format("  {:8.3f} ms waiting for all_reduce buckets\n",
                        runs ? waitSeconds / double(runs) * 1e3 : 0);
  for (size_t i = 0; i < std::min(top, order.size()); ++i) {
    size_t k = order[i];
    text += fmt::format("  {:8.3f} ms {:5.1f}%  {}\n", runs ? seconds[k] / double(runs) * 1e3 : 0,
                        total > 0 ? 100 * seconds[k] / total : 0, names[k]);
  }
  return text;
}

} // namespace kiln::codegen

extern "C" void kiln_profile_mark(int64_t kernel) noexcept {
  using namespace kiln::codegen;
  auto now = std::chrono::steady_clock::now();
  if (current && kernel > 0 && size_t(kernel) <= current->seconds.size())
    current->seconds[size_t(kernel) - 1] += std::chrono::duration<double>(now - last).count();
  last = now;
}

extern "C" void kiln_profile_waited() noexcept {
  using namespace kiln::codegen;
  auto now = std::chrono::steady_clock::now();
  if (current)
    current->waitSeconds += std::chrono::duration<double>(now - last).count();
  last = now;
}
