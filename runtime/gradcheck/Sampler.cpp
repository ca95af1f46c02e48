#include "kiln/runtime/gradcheck/Sampler.h"

#include "kiln/runtime/Random.h"

#include <numeric>
#include <utility>
#include <vector>

namespace kiln::gradcheck {

uint32_t Sampler::bits() { return randomBits(seed_, stream_, counter_++); }

double Sampler::uniform(double lo, double hi) {
  uint64_t high = bits(); // two statements: the draw order must not be unspecified
  uint64_t word = (high << 32) | bits();
  double unit = static_cast<double>(word >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * unit;
}

int64_t Sampler::below(int64_t n) {
  return static_cast<int64_t>(uniform(0.0, static_cast<double>(n)));
}

Tensor Sampler::uniform(const Shape &shape, double lo, double hi) {
  Tensor t(Type{DType::F64, shape});
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, uniform(lo, hi));
  return t;
}

Tensor Sampler::awayFromZero(const Shape &shape, double lo, double hi) {
  Tensor t(Type{DType::F64, shape});
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double magnitude = uniform(lo, hi);
    t.set(i, coin() ? magnitude : -magnitude);
  }
  return t;
}

Tensor Sampler::distinct(const Shape &shape) {
  Tensor t(Type{DType::F64, shape});
  int64_t n = t.numElements();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) // Fisher-Yates
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(below(i + 1))]);
  double spacing = 2.0 / static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    t.set(i, -1.0 + spacing *
                        (static_cast<double>(order[static_cast<size_t>(i)]) + uniform(0.0, 0.25)));
  return t;
}

Tensor Sampler::dyadic(const Shape &shape) {
  Tensor t(Type{DType::F64, shape});
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, static_cast<double>(below(2049) - 1024) / 1024.0);
  return t;
}

Tensor Sampler::booleans(const Shape &shape) {
  Tensor t(Type{DType::Bool, shape});
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, coin() ? 1.0 : 0.0);
  return t;
}

} // namespace kiln::gradcheck
