// The FMA chains and the copy loop behind MachinePeak.h.
#include "kiln/runtime/MachinePeak.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kiln {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

#if defined(__x86_64__)
constexpr int kChains = 12; // covers FMA latency on every x86 core with two FMA pipes

// Each chain function starts with an empty asm statement that clobbers memory: a side
// effect, so neither compiler treats a call as pure and hoists or merges it out of a
// timing loop.
__attribute__((target("avx2,fma"), noinline)) float avx2Chains(int64_t steps) {
  asm volatile("" ::: "memory");
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

__attribute__((target("avx512f"), noinline)) float avx512Chains(int64_t steps) {
  asm volatile("" ::: "memory");
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(float(i));
  __m512 scale = _mm512_set1_ps(0.999999f), shift = _mm512_set1_ps(1e-7f);
  for (int64_t s = 0; s < steps; ++s)
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], scale, shift);
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_cvtss_f32(sum);
}

bool hasAvx512() { return __builtin_cpu_supports("avx512f"); }
#endif

bool hasFma() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

} // namespace

int fmaWidth() {
#if defined(__x86_64__)
  if (hasAvx512())
    return 16;
#endif
  return hasFma() ? 8 : 0;
}

float fmaChains(int64_t steps) {
#if defined(__x86_64__)
  if (hasAvx512())
    return avx512Chains(steps);
  if (hasFma())
    return avx2Chains(steps);
#endif
  (void)steps;
  return 0;
}

double measureFmaPeakGflops(double seconds) {
  if (!hasFma())
    return 0;
  constexpr int64_t kSteps = 1 << 16;
  double best = 0;
  volatile float sink = 0;
  for (Clock::time_point begin = Clock::now(); secondsSince(begin) < seconds;) {
    Clock::time_point start = Clock::now();
    sink = sink + fmaChains(kSteps);
    best = std::max(best, fmaChainsFlops(kSteps) / secondsSince(start) * 1e-9);
  }
  return best;
}

double measureCopyBandwidthGBs(int threads, double seconds) {
  threads = std::max(threads, 1);
  // The threads copy 128 MB between them, beyond any last-level cache of these VMs; on
  // a machine of many cores, at least 8 MB each, more than a core's own caches hold.
  const size_t bytes = std::max(size_t(8) << 20, (size_t(128) << 20) / size_t(threads));
  std::vector<std::vector<char>> from(threads), to(threads);
  for (int t = 0; t < threads; ++t) {
    from[t].assign(bytes, 1);
    to[t].assign(bytes, 0);
  }
  auto copy = [&](int t) { std::memcpy(to[t].data(), from[t].data(), bytes); };
  double best = 0;
  for (Clock::time_point begin = Clock::now(); secondsSince(begin) < seconds;) {
    Clock::time_point start = Clock::now();
    std::vector<std::thread> others;
    for (int t = 1; t < threads; ++t)
      others.emplace_back(copy, t);
    copy(0);
    for (std::thread &other : others)
      other.join();
    double elapsed = secondsSince(start);
    from[0][size_t(elapsed * 1e9) % bytes] = to[0][bytes / 2]; // keeps the copy observable
    best = std::max(best, 2.0 * double(bytes) * threads / elapsed * 1e-9);
  }
  return best;
}

} // namespace kiln
