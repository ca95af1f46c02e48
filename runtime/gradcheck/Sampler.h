// Seeded values for gradient checks, drawn from the counter-based generator so a check
// is repeatable from its seed alone. The value families keep central differences away
// from kinks: strictly positive, away from zero, pairwise distinct, or dyadic.
#pragma once

#include "kiln/runtime/Tensor.h"

#include <cstdint>

namespace kiln::gradcheck {

class Sampler {
public:
  /// Draws stream `stream` of `seed`; different streams are independent.
  Sampler(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}

  /// Uniform in [lo, hi) with 53 random bits.
  double uniform(double lo, double hi);
  /// Uniform integer in [0, n).
  int64_t below(int64_t n);
  bool coin() { return bits() & 1u; }

  /// f64 values uniform in [lo, hi).
  Tensor uniform(const Shape &shape, double lo = -1.0, double hi = 1.0);
  /// f64 values with |v| uniform in [lo, hi) and a random sign.
  Tensor awayFromZero(const Shape &shape, double lo, double hi);
  /// f64 values in about [-1, 1], pairwise at least 1/n apart (n = element count): a
  /// shuffled grid with a little jitter, so maxima are unique and stay put under a step.
  Tensor distinct(const Shape &shape);
  /// f64 multiples of 1/1024 in [-1, 1]: exact in f32, and so are steps of 1/64.
  Tensor dyadic(const Shape &shape);
  /// Random booleans.
  Tensor booleans(const Shape &shape);

private:
  uint32_t bits();

  uint64_t seed_, stream_, counter_ = 0;
};

} // namespace kiln::gradcheck
