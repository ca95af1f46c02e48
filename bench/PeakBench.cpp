// The machine's f32 multiply-add peak, the yardstick of every GFLOP/s figure: the FMA
// chains of runtime/MachinePeak.h at the widest vector the host has (16 lanes with
// AVX-512, 8 with AVX2), which `kiln profile` also rates kernels against, on one thread
// and on all threads at once.
#include "kiln/runtime/MachinePeak.h"

#include <benchmark/benchmark.h>

#include <thread>

namespace kiln::bench {
namespace {

constexpr int64_t kStepsPerIteration = 1 << 16;

/// The figure is the machine's: the per-thread counters are summed and the iterations
/// of every thread counted, so the sum is averaged over the threads.
void peakFma(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("the host has no AVX2 + FMA");
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(fmaChains(kStepsPerIteration));
  state.counters["GFLOP/s"] =
      benchmark::Counter(fmaChainsFlops(kStepsPerIteration) * 1e-9,
                         benchmark::Counter::Flags(benchmark::Counter::kIsIterationInvariantRate |
                                                   benchmark::Counter::kAvgThreads));
}

BENCHMARK(peakFma)
    ->Name("peak/fma_f32")
    ->ThreadRange(1, int(std::max(1u, std::thread::hardware_concurrency())))
    ->UseRealTime();

} // namespace
} // namespace kiln::bench
