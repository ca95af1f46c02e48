// Seeded mutation fuzzing of the parser: damaged text must either parse to a graph that
// verifies and round-trips, or fail with a one-line kiln::Error — never crash, hang or
// throw anything else.
#include "SampleGraphs.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Printer.h"
#include "kiln/ir/Verifier.h"

#include <catch2/catch.hpp>

#include <random>

using namespace kiln;

namespace {

/// Bytes that matter to the lexer, so mutations often make near-valid text.
constexpr char kInteresting[] = {'%', '@', '{',  '}',  '[',    ']', '(', ')', ',', ':',
                                 '=', '<', '-',  '"',  '\\',   '#', '/', '.', 'e', '0',
                                 '9', ' ', '\n', '\0', '\xff', 'x', 'f', 'i'};

std::string mutate(std::string text, std::mt19937 &rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  // Mostly one mutation, so that much of the damaged text is still close to valid.
  int mutations = 1 + (pick(4) == 0 ? static_cast<int>(pick(4)) : 0);
  for (int m = 0; m < mutations && !text.empty(); ++m) {
    size_t at = pick(text.size());
    char byte = pick(2) ? kInteresting[pick(sizeof kInteresting)] : static_cast<char>(pick(256));
    switch (pick(6)) {
    case 0:
      text[at] = byte;
      break;
    case 1:
      text.erase(at, 1 + pick(8));
      break;
    case 2:
      text.insert(at, 1, byte);
      break;
    case 3: // duplicate a chunk elsewhere
      text.insert(pick(text.size()), text.substr(at, 1 + pick(40)));
      break;
    case 4:
      text.resize(at);
      break;
    case 5: // swap a digit for a big number
      text.insert(at, pick(2) ? "99999999999999999999" : "1e400");
      break;
    }
  }
  return text;
}

} // namespace

TEST_CASE("mutated IR text parses or fails with a one-line kiln::Error", "[ir][parser][fuzz]") {
  const std::vector<std::string> seeds = {printGraph(test::trainStepGraph()),
                                          printGraph(test::allOpsGraph())};
  int parsed = 0, rejected = 0;
  for (uint32_t seed = 0; seed < 4000; ++seed) {
    std::mt19937 rng(seed);
    std::string text = mutate(seeds[seed % seeds.size()], rng);
    try {
      Graph g = parseGraph(text, "fuzz.kir");
      // What parses must be a valid graph whose printed form is a fixed point.
      verify(g);
      std::string printed = printGraph(g);
      if (printGraph(parseGraph(printed)) != printed)
        FAIL("seed " << seed << ": the reprinted graph does not round-trip");
      ++parsed;
    } catch (const Error &e) {
      std::string message = e.what();
      if (message.rfind("fuzz.kir:", 0) != 0 || message.find('\n') != std::string::npos)
        FAIL("seed " << seed << ": malformed message: " << message);
      ++rejected;
    } catch (const std::exception &e) {
      FAIL("seed " << seed << ": threw something other than kiln::Error: " << e.what());
    } catch (...) {
      FAIL("seed " << seed << ": threw a non-exception");
    }
  }
  INFO(parsed << " parsed, " << rejected << " rejected");
  CHECK(parsed > 0); // some mutations (in comments, names, floats) keep the text valid
  CHECK(rejected > 0);
}
