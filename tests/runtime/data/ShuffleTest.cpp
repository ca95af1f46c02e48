// The epoch order: a permutation, a pure function of (seed, epoch), and uniform enough.
#include "kiln/runtime/data/Shuffle.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <numeric>

using namespace kiln;

TEST_CASE("uniformBelow maps 64 random bits onto 0 <= value < bound", "[data][shuffle]") {
  CHECK(uniformBelow(0, 7) == 0);
  CHECK(uniformBelow(~uint64_t(0), 7) == 6);
  CHECK(uniformBelow(~uint64_t(0), 1) == 0);
  CHECK(uniformBelow(uint64_t(1) << 63, 10) == 5);
  CHECK(uniformBelow(~uint64_t(0), 0xffffffffu) == 0xfffffffeu);
}

TEST_CASE("epochPermutation is a permutation", "[data][shuffle]") {
  int64_t n = GENERATE(0, 1, 2, 3, 64, 1000, 60000);
  std::vector<int64_t> order = epochPermutation(n, /*seed=*/42, /*epoch=*/3);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> iota(static_cast<size_t>(n));
  std::iota(iota.begin(), iota.end(), int64_t(0));
  CHECK(sorted == iota);
  if (n >= 64)
    CHECK(order != iota);
}

TEST_CASE("epochPermutation depends on (seed, epoch) only", "[data][shuffle]") {
  const auto a = epochPermutation(1000, 7, 0);
  CHECK(a == epochPermutation(1000, 7, 0));
  CHECK(epochPermutation(1000, 7, 5) == epochPermutation(1000, 7, 5));
  CHECK(a != epochPermutation(1000, 7, 1));
  CHECK(a != epochPermutation(1000, 8, 0));
}

TEST_CASE("epochPermutation draws all orders of three equally often", "[data][shuffle]") {
  // 6000 epochs: each of the 6 orders is expected 1000 times (sd ~ 29).
  std::map<std::vector<int64_t>, int> counts;
  for (int64_t epoch = 0; epoch < 6000; ++epoch)
    ++counts[epochPermutation(3, /*seed=*/1, epoch)];
  REQUIRE(counts.size() == 6);
  for (const auto &[order, count] : counts)
    CHECK(std::abs(count - 1000) < 150);
}

TEST_CASE("epochPermutation sends each element to each position equally often", "[data][shuffle]") {
  // 2000 epochs of 10: each (element, position) pair is expected 200 times (sd ~ 13).
  std::vector<std::vector<int>> counts(10, std::vector<int>(10, 0));
  for (int64_t epoch = 0; epoch < 2000; ++epoch) {
    auto order = epochPermutation(10, /*seed=*/99, epoch);
    for (size_t pos = 0; pos < 10; ++pos)
      ++counts[size_t(order[pos])][pos];
  }
  for (const auto &row : counts)
    for (int count : row)
      CHECK(std::abs(count - 200) < 70);
}
