// The random generator of the random-graph test: splitmix64, small, seedable and the
// same sequence on every platform (std::uniform_int_distribution is not).
#pragma once

#include <cstdint>
#include <vector>

namespace kiln::test {

/// splitmix64: small, seedable, the same sequence everywhere. The seed is mixed before
/// it becomes the state: states seed * step would make seed s + 1 replay seed s's
/// sequence one draw later.
class SplitMix {
public:
  explicit SplitMix(uint64_t seed) : state_(mix(seed ^ 0x6A09E667F3BCC909ull)) {}
  uint64_t next() { return mix(state_ += 0x9E3779B97F4A7C15ull); }
  int64_t below(int64_t n) { return n <= 1 ? 0 : static_cast<int64_t>(next() % uint64_t(n)); }
  int64_t between(int64_t lo, int64_t hi) { return lo + below(hi - lo + 1); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * double(next() >> 11) * 0x1p-53; }
  bool chance(double p) { return uniform(0, 1) < p; }
  template <typename T> const T &pick(const std::vector<T> &v) {
    return v[size_t(below(int64_t(v.size())))];
  }

private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

} // namespace kiln::test
