// The machine's f32 multiply-add peak, the yardstick of every GFLOP/s figure: twelve
// independent chains of 8-wide FMAs (enough to cover FMA latency on every x86 core with
// two FMA pipes), on one thread and on all threads at once. Measured, not taken from a
// data sheet: on a VM the clock under load is whatever the host gives.
#include <benchmark/benchmark.h>

#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kiln::bench {
namespace {

#if defined(__x86_64__)
constexpr int kChains = 12;
constexpr int64_t kStepsPerIteration = 1 << 16;

// noipa: a call without side effects would otherwise be hoisted out of the timing loop.
__attribute__((target("avx2,fma"), noipa)) float fmaChains(int64_t steps) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm256_set1_ps(float(i));
  __m256 scale = _mm256_set1_ps(0.999999f), shift = _mm256_set1_ps(1e-7f);
  for (int64_t s = 0; s < steps; ++s)
#pragma GCC unroll 12 // the chains stay in registers
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], scale, shift);
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum = _mm256_add_ps(sum, acc[i]);
  return _mm256_cvtss_f32(sum);
}

/// FLOPs: 2 per lane, 8 lanes, kChains chains, per step. The figure is the machine's:
/// the per-thread counters are summed and the iterations of every thread counted, so
/// the sum is averaged over the threads.
void peakFma(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("the host has no AVX2 + FMA");
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(fmaChains(kStepsPerIteration));
  state.counters["GFLOP/s"] =
      benchmark::Counter(2e-9 * 8 * kChains * double(kStepsPerIteration),
                         benchmark::Counter::Flags(benchmark::Counter::kIsIterationInvariantRate |
                                                   benchmark::Counter::kAvgThreads));
}

BENCHMARK(peakFma)
    ->Name("peak/fma_f32_avx2")
    ->ThreadRange(1, int(std::max(1u, std::thread::hardware_concurrency())))
    ->UseRealTime();
#endif

} // namespace
} // namespace kiln::bench
