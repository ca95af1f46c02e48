// Fisher–Yates without generator state: swap i's partner comes from counters (2i, 2i+1)
// of step `epoch`, so any epoch's order is computed directly, in O(n), from the seed.
#include "kiln/runtime/data/Shuffle.h"

#include "kiln/runtime/Random.h"

#include <cassert>
#include <cstddef>
#include <numeric>
#include <utility>

namespace kiln {

std::vector<int64_t> epochPermutation(int64_t n, uint64_t seed, int64_t epoch) {
  assert(n >= 0 && n < (int64_t(1) << 32) && "epochPermutation: n out of range");
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  const uint64_t step = static_cast<uint64_t>(epoch);
  for (int64_t i = n - 1; i > 0; --i) {
    const uint64_t counter = 2 * static_cast<uint64_t>(i);
    const uint64_t bits =
        uint64_t(randomBits(seed, step, counter)) << 32 | randomBits(seed, step, counter + 1);
    const auto j = static_cast<int64_t>(uniformBelow(bits, static_cast<uint64_t>(i) + 1));
    std::swap(order[size_t(i)], order[size_t(j)]);
  }
  return order;
}

} // namespace kiln
