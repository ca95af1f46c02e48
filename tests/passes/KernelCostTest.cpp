// FLOP and byte counts of program kernels (passes/KernelCost.h), on shapes no model uses.
#include "kiln/passes/KernelCost.h"
#include "kiln/ir/Parser.h"
#include "kiln/passes/Lower.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

const Kernel &only(const KernelProgram &p, KernelKind kind) {
  for (const Kernel &k : p.kernels)
    if (k.kind == kind)
      return k;
  FAIL("no kernel of kind " << kernelKindName(kind));
  return p.kernels.front();
}

Node node(OpKind op, Attrs attrs, Type type) {
  Node n;
  n.op = op;
  n.attrs = std::move(attrs);
  n.type = std::move(type);
  return n;
}

} // namespace

TEST_CASE("a matmul kernel costs 2MNK plus its epilogue and moves its operands and results",
          "[passes][cost]") {
  KernelProgram p = lowerGraph(parseGraph(R"(graph @g {
    input %x : f32[3,17]
    input %w : f32[5,17]
    %0 = matmul(%x, %w) {transpose_b = true} : f32[3,5]
    %1 = tanh(%0) : f32[3,5]
    output y = %1
  })"));
  const Kernel &matmul = only(p, KernelKind::Matmul);
  KernelCost c = kernelCost(p, matmul);
  CHECK(c.flops == 2.0 * 3 * 5 * 17 + 3 * 5);
  // The kernel stores the product (its epilogue reads it back) and the tanh of it.
  REQUIRE(matmul.outputs.size() == 2);
  CHECK(c.bytes == 4.0 * (3 * 17 + 5 * 17 + 2 * 3 * 5));
}

TEST_CASE("a transposed-A matmul takes its depth from the operand's first axis", "[passes][cost]") {
  KernelProgram p = lowerGraph(parseGraph(R"(graph @g {
    input %a : f32[7,3]
    input %b : f32[7,1]
    %0 = matmul(%a, %b) {transpose_a = true} : f32[3,1]
    output y = %0
  })"));
  CHECK(kernelCost(p, only(p, KernelKind::Matmul)).flops == 2.0 * 3 * 1 * 7);
}

TEST_CASE("convolutions and their gradients cost the forward's multiply-adds", "[passes][cost]") {
  // x [2,7,9,9], w [4,7,3,3] with stride 2: y [2,4,4,4]; each output sums 7*3*3 products.
  const double forward = 2.0 * (2 * 4 * 4 * 4) * (7 * 3 * 3);
  Node conv =
      node(OpKind::Conv2d, {{"stride", std::vector<int64_t>{2, 2}}}, {DType::F32, {2, 4, 4, 4}});
  CHECK(nodeFlops(conv, {{DType::F32, {2, 7, 9, 9}}, {DType::F32, {4, 7, 3, 3}}}) == forward);
  Node input = node(OpKind::Conv2dInputGrad, {}, {DType::F32, {2, 7, 9, 9}});
  CHECK(nodeFlops(input, {{DType::F32, {2, 4, 4, 4}}, {DType::F32, {4, 7, 3, 3}}}) == forward);
  Node filter = node(OpKind::Conv2dFilterGrad, {}, {DType::F32, {4, 7, 3, 3}});
  CHECK(nodeFlops(filter, {{DType::F32, {2, 7, 9, 9}}, {DType::F32, {2, 4, 4, 4}}}) == forward);
}

TEST_CASE("pooling costs a window per result element, its gradient a window per dy element",
          "[passes][cost]") {
  Attrs window{{"window", std::vector<int64_t>{3, 2}}};
  Node pool = node(OpKind::MaxPool2d, window, {DType::F32, {1, 1, 5, 3}});
  CHECK(nodeFlops(pool, {{DType::F32, {1, 1, 15, 7}}}) == 15.0 * 6);
  Node grad = node(OpKind::AvgPool2dGrad, window, {DType::F32, {1, 1, 15, 7}});
  CHECK(nodeFlops(grad, {{DType::F32, {1, 1, 5, 3}}}) == 15.0 * 6);
}

TEST_CASE("elementwise work is one operation per element, layout none, a reduction one per "
          "operand element",
          "[passes][cost]") {
  KernelProgram p = lowerGraph(parseGraph(R"(graph @g {
    input %x : f32[63,3]
    %0 = transpose(%x) {perm = [1, 0]} : f32[3,63]
    %1 = exp(%0) : f32[3,63]
    %2 = reduce_sum(%1) {axes = [1]} : f32[3]
    output y = %2
  })"));
  KernelCost c = kernelCost(p, only(p, KernelKind::Reduction));
  CHECK(c.flops == 189.0 + 189.0);
  CHECK(c.bytes == 4.0 * (189 + 3));
}
