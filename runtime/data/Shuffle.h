// The order an epoch visits a data set in: a pure function of (seed, epoch), drawn from
// the counter-based generator (DESIGN §5), so a resumed run repeats the original order.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln {

/// An integer uniform in [0, bound) from 64 random bits (bound < 2^32): the high word of
/// bits * bound, whose bias is below bound / 2^64.
constexpr uint64_t uniformBelow(uint64_t bits, uint64_t bound) {
  uint64_t hi = (bits >> 32) * bound;
  uint64_t lo = (bits & 0xffffffffu) * bound;
  return (hi + (lo >> 32)) >> 32;
}

/// A permutation of 0..n-1 for epoch `epoch` of stream `seed`: Fisher–Yates whose i-th
/// swap partner is drawn from randomBits(seed, epoch, 2i) and randomBits(seed, epoch, 2i+1).
std::vector<int64_t> epochPermutation(int64_t n, uint64_t seed, int64_t epoch);

} // namespace kiln
