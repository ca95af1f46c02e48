// The JIT against the interpreter (the oracle) on seeded random graphs (RandomGraph.h).
// Subgraphs are compiled kBatch at a time, as one graph with many outputs, since a
// compile costs far more than running. Every output is compared exactly where both
// sides must compute the same bits and within its error bound (ValueFacts.h) where the
// JIT may round differently. A failure names the subgraph's seed and prints the
// smallest failing graph that shrinking finds.
//
//   KILN_RANDOM_GRAPHS=N   how many graphs (default 200; 5000 for a long local run)
//   KILN_RANDOM_SEED=S     the first seed (default 1); set alone, only graph S runs,
//                          compiled on its own: how a reported failure is reproduced
//   KILN_RANDOM_THREADS=T  the JIT's threads (default 1, 2 or 3 by batch)
//   KILN_RANDOM_ISA=I      its kernel variant: generic, avx2 or avx512 (default: the
//                          host's, generic or avx512 by batch)
#include "RandomGraph.h"
#include "GraphShrinker.h"

#include "kiln/codegen/JitEngine.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Printer.h"
#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr uint64_t kBatch = 20;
constexpr uint64_t kArgumentSeed = 7;
/// The error bounds are worst cases per op; this covers what they round away.
constexpr double kSafety = 4;

/// How a batch is compiled: neither the split of parallel loops nor the kernel variant
/// may change a result beyond its tolerance.
struct Variant {
  int threads = 0; ///< 0: by batch
  std::optional<libjit::Isa> isa;
};

const char *isaName(libjit::Isa isa) {
  return isa == libjit::Isa::Avx512 ? "avx512" : isa == libjit::Isa::Avx2 ? "avx2" : "generic";
}

/// "KILN_RANDOM_THREADS=2 KILN_RANDOM_ISA=avx512": the variant as the settings to reproduce it.
std::string describe(const Variant &v) {
  return fmt::format("KILN_RANDOM_THREADS={} KILN_RANDOM_ISA={}", v.threads, isaName(*v.isa));
}

struct Settings {
  uint64_t first = 1, count = 200;
  bool progress = false; ///< long runs (KILN_RANDOM_GRAPHS set) print each batch's seeds
  Variant variant;       ///< what is not set varies by batch
};

/// The variant of the batch starting at seed `first`: over nine batches every thread
/// count with every kernel variant.
Variant variantOf(uint64_t first, const Settings &s) {
  const libjit::Isa isas[] = {codegen::hostTarget().isa, libjit::Isa::Generic, libjit::Isa::Avx512};
  Variant v = s.variant;
  if (v.threads == 0)
    v.threads = 1 + int(first % 3);
  if (!v.isa)
    v.isa = isas[first / (3 * kBatch) % 3];
  return v;
}

Settings settings() {
  Settings s;
  const char *seed = std::getenv("KILN_RANDOM_SEED");
  const char *count = std::getenv("KILN_RANDOM_GRAPHS");
  if (seed && *seed) {
    s.first = std::strtoull(seed, nullptr, 10);
    s.count = 1;
  }
  if (const char *threads = std::getenv("KILN_RANDOM_THREADS"); threads && *threads)
    s.variant.threads = std::atoi(threads);
  if (const char *isa = std::getenv("KILN_RANDOM_ISA"); isa && *isa)
    for (libjit::Isa i : {libjit::Isa::Generic, libjit::Isa::Avx2, libjit::Isa::Avx512})
      if (std::string_view(isa) == isaName(i))
        s.variant.isa = i;
  if (count && *count) {
    s.count = std::strtoull(count, nullptr, 10);
    s.progress = true;
  }
  return s;
}

/// "" when every element agrees: equal (NaN to NaN), or within `tolerance` when it is
/// not zero.
std::string compareWithin(const Tensor &jit, const Tensor &interp, double tolerance) {
  if (jit.type() != interp.type())
    return fmt::format("types differ: {} vs {}", jit.type().str(), interp.type().str());
  for (int64_t i = 0; i < interp.numElements(); ++i) {
    double a = jit.at(i), b = interp.at(i);
    bool same = (std::isnan(a) && std::isnan(b)) || a == b ||
                (tolerance > 0 && std::abs(a - b) <= tolerance);
    if (!same)
      return fmt::format("element {}: jit {} vs interpreter {} ({})", i, a, b,
                         tolerance > 0 ? fmt::format("tolerance {:.3g}", tolerance)
                                       : std::string("must be exact"));
  }
  return "";
}

/// "" when the JIT agrees with the interpreter on every output of `test`, else what
/// differs; the indices of differing outputs go to `failing`.
std::string differences(const TestGraph &test, const Variant &variant,
                        std::vector<size_t> *failing = nullptr) {
  Arguments args = argumentsFor(test, kArgumentSeed);
  codegen::CompiledGraph::Result got;
  try {
    codegen::JitOptions options = testJitOptions();
    options.threads = variant.threads;
    options.isa = variant.isa;
    got = codegen::CompiledGraph::compile(test.graph, options)->run(args.inputs, args.state);
  } catch (const Error &e) {
    return fmt::format("the JIT failed: {}", e.what());
  }
  Interpreter::Result want = Interpreter(test.graph).run(args.inputs, args.state);
  std::vector<Facts> facts = analyze(test);
  std::string report;
  for (size_t k = 0; k < want.outputs.size(); ++k) {
    const Output &out = test.graph.outputs()[k];
    const Facts &f = facts[size_t(out.value)];
    if (!f.checkable())
      continue;
    std::string d = compareWithin(got.outputs[k], want.outputs[k], kSafety * f.err);
    if (d.empty())
      continue;
    report += fmt::format("output {} : {}: {}\n", out.name, test.graph.type(out.value).str(), d);
    if (failing)
      failing->push_back(k);
  }
  return report;
}

/// The subgraph of `seed` in `batch`, alone.
TestGraph subgraph(const TestGraph &batch, uint64_t seed) {
  std::string prefix = fmt::format("s{}_", seed);
  std::vector<bool> keep;
  for (const Output &o : batch.graph.outputs())
    keep.push_back(o.name.starts_with(prefix));
  return rebuild(batch, keep);
}

uint64_t seedOf(const std::string &outputName) { // "s<seed>_out<k>"
  return std::strtoull(outputName.c_str() + 1, nullptr, 10);
}

/// The report of a failing batch: the first failing subgraph, shrunk.
std::string explain(const TestGraph &batch, uint64_t first, uint64_t last, const Variant &variant,
                    const std::vector<size_t> &failing) {
  uint64_t seed = last;
  if (!failing.empty()) {
    seed = seedOf(batch.graph.outputs()[failing.front()].name);
  } else { // the batch did not compile: find a subgraph that does not alone
    for (uint64_t s = first; s < last && seed == last; ++s)
      if (!differences(subgraph(batch, s), variant).empty())
        seed = s;
    if (seed == last)
      return fmt::format("seeds {}..{} fail only together ({}):\n{}", first, last - 1,
                         describe(variant), differences(batch, variant));
  }
  TestGraph alone = subgraph(batch, seed);
  std::string why = differences(alone, variant);
  if (why.empty())
    return fmt::format("random graph seed {} differs only among seeds {}..{} ({}):\n{}\n{}", seed,
                       first, last - 1, describe(variant), differences(batch, variant),
                       printGraph(alone.graph));
  TestGraph smallest =
      shrink(alone, [&](const TestGraph &t) { return !differences(t, variant).empty(); });
  return fmt::format("random graph seed {} differs from the interpreter:\n{}"
                     "reproduce: KILN_RANDOM_SEED={} {} kiln_codegen_tests \"random graphs "
                     "agree with the interpreter\"\nsmallest failing graph ({} nodes):\n{}{}",
                     seed, why, seed, describe(variant), smallest.graph.size(),
                     printGraph(smallest.graph), differences(smallest, variant));
}

} // namespace

TEST_CASE("random graphs agree with the interpreter", "[jit][random]") {
  Settings s = settings();
  auto start = std::chrono::steady_clock::now();
  uint64_t end = s.first + s.count, graphs = 0, nodes = 0, outputs = 0;
  for (uint64_t first = s.first; first < end; first += kBatch) {
    uint64_t last = std::min(first + kBatch, end);
    TestGraph batch;
    for (uint64_t seed = first; seed < last; ++seed)
      appendRandomGraph(batch, seed);
    Variant variant = variantOf(first, s);
    if (s.progress) // a crash cannot report its seed: say where the run is
      fmt::print(stderr, "random graphs: seeds {}..{}, {}\n", first, last - 1, describe(variant));
    std::vector<size_t> failing;
    std::string report = differences(batch, variant, &failing);
    if (!report.empty())
      FAIL(explain(batch, first, last, variant, failing));
    graphs += last - first;
    nodes += batch.graph.size();
    outputs += batch.graph.outputs().size();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("random graphs: {} graphs (seeds {}..{}), {} nodes, {} outputs, {:.1f} s\n", graphs,
             s.first, end - 1, nodes, outputs, seconds);
}
