// The JIT against the interpreter for every op of the table (jitOpCases), on seeded
// random values.
#include "OpCases.h"

#include "ir/Printer.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace kiln;
using namespace kiln::test;

TEST_CASE("every op agrees with the interpreter", "[jit]") {
  auto index = GENERATE(range(size_t(0), kNumOps));
  OpKind op = kOpInfos[index].kind;
  std::vector<OpCase> cases = jitOpCases(op);
  REQUIRE_FALSE(cases.empty());
  for (const OpCase &c : cases) {
    uint64_t seed = 1000 + index;
    checkAgainstInterpreter(c.graph, randomArguments(c.graph, seed, c.domain), c.rtol,
                            fmt::format("{} (seed {})\n{}", c.label, seed, printGraph(c.graph)));
  }
}
