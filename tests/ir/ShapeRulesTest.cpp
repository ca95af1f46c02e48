#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Printer.h"

#include <catch2/catch.hpp>

using namespace kiln;

TEST_CASE("matmul shapes follow the transpose flags", "[ir]") {
  Graph g;
  ValueId x = g.addInput("x", {DType::F32, {64, 784}});
  ValueId w = g.addState("w", {DType::F32, {256, 784}});
  ValueId y = g.add(OpKind::Matmul, {x, w}, {{"transpose_b", true}}, "fc1");
  CHECK(g.type(y) == Type{DType::F32, {64, 256}});
  CHECK_THROWS_WITH(g.add(OpKind::Matmul, {x, w}, {}, "fc1"),
                    Catch::Contains("fc1: matmul(f32[64,784], f32[256,784])") &&
                        Catch::Contains("contraction sizes differ: 784 vs 256"));
}

TEST_CASE("conv2d output size and a kernel larger than the padded input", "[ir]") {
  Graph g;
  ValueId x = g.addInput("x", {DType::F32, {2, 1, 28, 28}});
  ValueId w = g.addState("w", {DType::F32, {32, 1, 3, 3}});
  ValueId y = g.add(OpKind::Conv2d, {x, w}, {{"padding", std::vector<int64_t>{1, 1}}});
  CHECK(g.type(y).shape == Shape{2, 32, 28, 28});
  ValueId big = g.addState("big", {DType::F32, {32, 1, 31, 31}});
  CHECK_THROWS_WITH(g.add(OpKind::Conv2d, {x, big}, {{"padding", std::vector<int64_t>{1, 1}}}),
                    Catch::Contains("larger than the padded input 30"));
}

TEST_CASE("the printer numbers computations and keeps scopes", "[ir]") {
  Graph g("tiny");
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {3}});
  auto guard = b.enter("act");
  ValueId y = b.mul(x, b.constant(0.5, DType::F32, {3}));
  g.addOutput("y", y);
  CHECK(printGraph(g) == "graph @tiny {\n"
                         "  input %x : f32[3]\n"
                         "  %0 = constant() {dtype = \"f32\", shape = [], value = 0.5} : f32[] @act\n"
                         "  %1 = broadcast(%0) {dims = [], shape = [3]} : f32[3] @act\n"
                         "  %2 = mul(%x, %1) : f32[3] @act\n"
                         "  output y = %2\n"
                         "}\n");
}
