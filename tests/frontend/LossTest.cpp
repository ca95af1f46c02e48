// Losses: their structure (log_softmax + one_hot for cross_entropy), result types and
// input checks.
#include "kiln/frontend/Frontend.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {
Type f32(Shape s) { return {DType::F32, std::move(s)}; }
} // namespace

TEST_CASE("cross_entropy is the mean negative log-likelihood of one-hot labels",
          "[frontend][loss]") {
  Graph g;
  Tracer t(g, Mode::Train);
  Value logits = t.input("logits", f32({8, 10}));
  Value labels = t.input("y", {DType::I32, {8}});
  Value loss = cross_entropy(logits, labels);
  CHECK(loss.type() == f32({}));
  bool oneHot = false, reduceMax = false;
  for (const Node &n : g.nodes()) {
    if (n.op == OpKind::OneHot) {
      oneHot = true;
      CHECK(n.attrs.getInt("depth") == 10);
      CHECK(n.type == f32({8, 10}));
    }
    reduceMax |= n.op == OpKind::ReduceMax; // the stabilizing shift of log_softmax
    CHECK(n.scope == (n.op == OpKind::Input ? "input" : "cross_entropy"));
  }
  CHECK(oneHot);
  CHECK(reduceMax);
  CHECK(g.node(loss.id()).op == OpKind::Neg);
}

TEST_CASE("classification losses check their inputs", "[frontend][loss]") {
  Graph g;
  Tracer t(g, Mode::Train);
  Value logits = t.input("logits", f32({8, 10}));
  CHECK_THROWS_WITH(cross_entropy(logits, t.input("f", f32({8}))),
                    Catch::Contains("expects i32 labels [B], got f32[8]"));
  CHECK_THROWS_WITH(cross_entropy(logits, t.input("short", {DType::I32, {4}})),
                    Catch::Contains("8 scores but 4 labels"));
  CHECK_THROWS_WITH(cross_entropy(t.input("flat", f32({8})), t.input("y", {DType::I32, {8}})),
                    Catch::Contains("expects float scores [B,C], got f32[8]"));
  CHECK(nll_loss(log_softmax(logits), t.input("z", {DType::I32, {8}})).type() == f32({}));
}

TEST_CASE("regression and binary losses", "[frontend][loss]") {
  Graph g;
  Tracer t(g, Mode::Train);
  Value p = t.input("p", f32({4, 1}));
  Value y = t.input("y", f32({4, 1}));
  CHECK(mse_loss(p, y).type() == f32({}));
  CHECK(binary_cross_entropy(p, y).type() == f32({}));
  CHECK_THROWS_WITH(mse_loss(p, t.input("w", f32({4}))),
                    Catch::Contains("prediction f32[4,1] and target f32[4] differ"));
}
