// The JIT against the interpreter for every op of the table (jitOpCases), on seeded
// random values.
#include "OpCases.h"

#include "kiln/codegen/JitEngine.h"
#include "kiln/ir/Printer.h"

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

TEST_CASE("contractions agree with every thread count and kernel variant", "[jit]") {
  // The generic (scalar) variant runs everywhere; the AVX-512 one everywhere too (LLVM
  // splits its 512-bit vectors where the host is narrower: slow, but the same sums);
  // AVX2 when the host has it. Thread
  // counts change how work is split (and the filter gradient's chunk count).
  struct Variant {
    int threads;
    libjit::Isa isa;
  };
  std::vector<Variant> variants = {
      {3, libjit::Isa::Generic}, {2, libjit::Isa::Avx512}, {1, codegen::hostTarget().isa}};
  for (OpKind op : {OpKind::Matmul, OpKind::Conv2d, OpKind::Conv2dInputGrad,
                    OpKind::Conv2dFilterGrad, OpKind::MaxPool2dGrad}) {
    std::vector<OpCase> all = jitOpCases(op);
    std::vector<OpCase> cases(all.begin(), all.begin() + std::min<size_t>(all.size(), 4));
    // The small shapes (compiling dominates), and for matmul whole register tiles with
    // depth-contiguous operands (the packers' transposing paths) and few rows (the
    // direct path, in every layout); convolutions whose output rows are laid out by
    // another pitch on each ISA's register tile, and those of the direct one-channel kernel.
    for (const OpCase &c : all)
      if (c.label.starts_with("matmul 64x128x300 ta=false tb=true ") ||
          c.label.starts_with("matmul 200x70x520 ta=false tb=false ") ||
          c.label.starts_with("matmul 2x150x70 ") || c.label.starts_with("matmul 4x70x150 ") ||
          c.label.find(" 13x13 pad 1 ") != std::string::npos ||
          c.label.find(" 7x7 pad 1 ") != std::string::npos ||
          c.label.find(" 1x1 image pad 1 ") != std::string::npos ||
          c.label.find(" direct ") != std::string::npos)
        cases.push_back(c);
    if (op == OpKind::Matmul)
      REQUIRE(cases.size() == 14);
    for (const OpCase &c : cases)
      for (Variant v : variants) {
        codegen::JitOptions options = testJitOptions();
        options.threads = v.threads;
        options.isa = v.isa;
        uint64_t seed = 77;
        checkAgainstInterpreter(
            c.graph, randomArguments(c.graph, seed, c.domain), c.rtol,
            fmt::format("{} (seed {}, {} threads, isa {})", c.label, seed, v.threads, int(v.isa)),
            options);
      }
  }
}

TEST_CASE("a filter gradient whose last chunk of images is shorter stays in its scratch", "[jit]") {
  // Random graph seed 2252, shrunk: 17 images in chunks of 9 and 8 at one thread; the
  // second chunk's GEMM took a deeper panel than the scratch was planned for and wrote
  // past the arena (heap corruption). Also 3 threads: chunks of 3 and 2.
  Graph g("filter_grad");
  ValueId x = g.addInput("x", {DType::F32, {17, 1, 1, 64}});
  ValueId dy = g.addInput("dy", {DType::F32, {17, 1, 1, 32}});
  g.addOutput("dw", g.add(OpKind::Conv2dFilterGrad, {x, dy},
                          {{"kernel", std::vector<int64_t>{1, 1}},
                           {"stride", std::vector<int64_t>{1, 2}}}));
  for (int threads : {1, 3})
    for (libjit::Isa isa : {libjit::Isa::Avx512, codegen::hostTarget().isa}) {
      codegen::JitOptions options = testJitOptions();
      options.threads = threads;
      options.isa = isa;
      checkAgainstInterpreter(g, randomArguments(g, 2252, {}), 1e-5,
                              fmt::format("{} threads, isa {}", threads, int(isa)), options);
    }
}
