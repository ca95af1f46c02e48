// The per-op gradient matrix: every differentiable op of the op table is checked against
// central differences in f64, so a new op is covered (or fails for lack of cases) without
// touching this file.
#include "kiln/runtime/gradcheck/GradCheck.h"
#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

constexpr uint64_t kSeed = 20240611;

std::vector<OpKind> differentiableOps() {
  std::vector<OpKind> ops;
  for (const OpInfo &info : kOpInfos)
    if (info.differentiable)
      ops.push_back(info.kind);
  return ops;
}

} // namespace

TEST_CASE("every differentiable op's gradient matches central differences", "[gradcheck][passes]") {
  OpKind op = GENERATE(from_range(differentiableOps()));
  INFO("op " << mnemonic(op) << ", seed " << kSeed);
  std::vector<GradCheckRow> cases = gradCheckOpCases(op, kSeed);
  CHECK(!cases.empty());
  for (const GradCheckRow &row : cases) {
    INFO(row.op << " on " << row.shapes << ": max abs error " << row.maxAbsError
                << ", max rel error " << row.maxRelError);
    CHECK(row.passed);
  }
}

TEST_CASE("gradCheckOps gives one row per op, in order", "[gradcheck]") {
  std::vector<GradCheckRow> rows = gradCheckOps({OpKind::Mul, OpKind::Neg}, kSeed);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].op == "mul");
  CHECK(rows[1].op == "neg");
  CHECK_THAT(rows[0].shapes, Catch::Contains("f64[") && Catch::Contains("(+1)"));
  CHECK(rows[0].passed);
  CHECK_THROWS_WITH(gradCheckOps({OpKind::Argmax}, kSeed),
                    Catch::Contains("'argmax' has no gradient"));
}

TEST_CASE("the op matrix is repeatable from its seed", "[gradcheck]") {
  std::vector<GradCheckRow> a = gradCheckOpCases(OpKind::Div, 7),
                            b = gradCheckOpCases(OpKind::Div, 7);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i)
    CHECK(a[i].maxAbsError == b[i].maxAbsError);
}

TEST_CASE("gradCheckGraph fails where the gradient is not the derivative", "[gradcheck]") {
  // At the kink of relu, autodiff's convention (0) differs from the central difference
  // (1/2): the checker must see it.
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F64, {2}});
  ValueId relu = b.op(OpKind::Max, {x, b.constant(0.0, DType::F64, {2})});
  ValueId loss = b.reduceSum(relu, {0});
  Tensor atKink(Type{DType::F64, {2}});
  atKink.set(0, 0.0);
  atKink.set(1, 0.75);
  GradCheckRow row = gradCheckGraph(g, loss, {x}, {{x, atKink}}, kSeed, "relu at 0");
  CHECK_FALSE(row.passed);
  CHECK(row.maxAbsError == Approx(0.5));
  CHECK(row.op == "relu at 0");
  CHECK(row.shapes == "f64[2]");

  Tensor away = atKink.clone();
  away.set(0, -0.5);
  CHECK(gradCheckGraph(g, loss, {x}, {{x, away}}, kSeed, "relu").passed);
}

TEST_CASE("gradCheckGraph rejects what it cannot check", "[gradcheck]") {
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {2}});
  ValueId y = g.addInput("y", {DType::F64, {2}});
  ValueId labels = g.addInput("labels", {DType::I32, {2}});
  ValueId loss32 = b.reduceSum(x, {0});
  ValueId loss = b.reduceSum(b.mul(y, b.convert(labels, DType::F64)), {0});
  CHECK_THROWS_WITH(gradCheckGraph(g, loss32, {y}, kSeed, "f32 loss"),
                    Catch::Contains("the loss must be an f64[]"));
  CHECK_THROWS_WITH(gradCheckGraph(g, loss, {x}, kSeed, "f32 wrt"),
                    Catch::Contains("'x' is f32[2]; checks run in f64"));
  CHECK_THROWS_WITH(gradCheckGraph(g, loss, {y}, kSeed, "labels"),
                    Catch::Contains("give the values of i32 input 'labels'"));
  Tensor given(Type{DType::I32, {2}});
  given.set(0, 3);
  given.set(1, -2);
  CHECK(gradCheckGraph(g, loss, {y}, {{labels, given}}, kSeed, "labels").passed);
}
