// A graph of the random-graph test with the ranges its inputs are drawn from: what the
// generator makes, the shrinker rebuilds and the differential check runs.
#pragma once

#include "JitTestUtil.h"
#include "ValueFacts.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln::test {

/// A graph with the ranges its inputs are drawn from.
struct TestGraph {
  Graph graph{"random"};
  std::map<std::string, Facts> inputFacts; ///< by input name
};

/// The facts of every value of `test.graph`.
std::vector<Facts> analyze(const TestGraph &test);

/// Seeded arguments within each input's facts; an input's values depend only on its
/// name and `seed`, so a subgraph gets the same values alone or among others.
Arguments argumentsFor(const TestGraph &test, uint64_t seed);

} // namespace kiln::test
