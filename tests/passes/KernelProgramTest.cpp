// The kernel program's structural verifier and printer.
#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/passes/Lower.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

KernelProgram sample() {
  Graph graph = parseGraph(R"(graph @p {
    input %x : f32[4,8]
    state %w : f32[8,8] {init = "zeros"}
    %0 = matmul(%x, %w) : f32[4,8] @fc
    %1 = reduce_sum(%0) {axes = [1]} : f32[4] @sum
    %2 = exp(%1) : f32[4] @sum
    output y = %2
  })");
  return lowerGraph(graph);
}

} // namespace

TEST_CASE("a lowered program verifies and prints its kernels", "[passes]") {
  KernelProgram p = sample();
  verifyProgram(p);
  REQUIRE(p.kernels.size() == 2);
  CHECK(p.kernels[0].kind == KernelKind::Matmul);
  CHECK(p.kernels[1].kind == KernelKind::Reduction);
  CHECK(p.kernels[1].axes == std::vector<int64_t>{1});
  CHECK(p.inputBuffers().size() == 1);
  CHECK(p.stateBuffers().size() == 1);
  std::string text = printProgram(p);
  CHECK(text.find("  kernel fc = matmul [4,8] (%x, %w) -> (%0) {\n"
                  "    t0 = matmul(%x, %w) : f32[4,8]\n"
                  "    %0 = t0\n"
                  "  }\n") != std::string::npos);
  // The row sums are read back by the same kernel's exp: a buffer of its own.
  CHECK(text.find("  kernel sum = reduction [4,8] over [1] (%0) -> (%1, %2) {\n") !=
        std::string::npos);
  CHECK(text.find("  temp %1 : f32[4]\n") != std::string::npos);
}

TEST_CASE("the program verifier rejects broken programs", "[passes]") {
  SECTION("a buffer read before it is written") {
    KernelProgram p = sample();
    std::swap(p.kernels[0], p.kernels[1]);
    CHECK_THROWS_WITH(verifyProgram(p), Catch::Contains("reads %0 before any kernel writes it"));
  }
  SECTION("a kernel writing an input") {
    KernelProgram p = sample();
    p.kernels[1].outputs[0].buffer = p.inputBuffers()[0];
    CHECK_THROWS_WITH(verifyProgram(p), Catch::Contains("writes input buffer %x"));
  }
  SECTION("a body node whose type disagrees with its shape rule") {
    KernelProgram p = sample();
    p.kernels[1].body[0].type = Type{DType::F32, {8}};
    CHECK_THROWS_WITH(verifyProgram(p), Catch::Contains("gives f32[4] but says f32[8]"));
  }
  SECTION("an operand that is not defined yet") {
    KernelProgram p = sample();
    p.kernels[1].body[0].operands[0] = 5;
    CHECK_THROWS_AS(verifyProgram(p), Error);
  }
}
