// The machine's yardsticks for kernel speed: the f32 multiply-add peak at the widest
// vector the host has (the FMA micro-benchmark bench/ reports as peak/fma_f32) and the
// memory copy bandwidth.
// Measured, not taken from a data sheet: on a VM the clock under load is whatever the
// host gives. `kiln profile` rates every kernel against both.
#pragma once

#include <cstdint>

namespace kiln {

/// The f32 lanes of the widest FMA the host has, as the JIT's kernels use it: 16 with
/// AVX-512, 8 with AVX2 + FMA, 0 without.
int fmaWidth();

/// Twelve independent chains of fmaWidth()-wide FMAs, `steps` rounds. Returns a value
/// that depends on every chain, so no work can be skipped.
float fmaChains(int64_t steps);
/// FLOPs of one call of fmaChains(steps).
inline double fmaChainsFlops(int64_t steps) { return 2.0 * fmaWidth() * 12 * double(steps); }

/// One thread's FMA peak in GFLOP/s, the best of several runs over about `seconds`;
/// 0 without AVX2 + FMA.
double measureFmaPeakGflops(double seconds = 0.3);

/// The copy bandwidth in GB/s (bytes read plus bytes written per second) of `threads`
/// threads copying at once, each between buffers of its own, together far larger than
/// the caches,
/// the best of several rounds over about `seconds`. Memory is shared: on some machines
/// two threads copy no faster than one.
double measureCopyBandwidthGBs(int threads = 1, double seconds = 0.3);

} // namespace kiln
