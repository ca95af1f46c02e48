// Multi-head self-attention (spec §7) and the Transformer encoder layer: shapes,
// PyTorch's parameter names, and the scaled dot product.
#include "kiln/frontend/Frontend.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

using namespace kiln;

namespace {
Type f32(Shape s) { return {DType::F32, std::move(s)}; }

struct Attn : Module {
  Attn(bool batchFirst) : attn(this, "attn", 16, 4, {.batchFirst = batchFirst}) {}
  MultiheadAttention attn;
  Value forward(Value x) override { return attn(x); }
};
} // namespace

TEST_CASE("self-attention keeps the input shape and averages weights over heads",
          "[frontend][attention]") {
  Attn model(/*batchFirst=*/true);
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({2, 5, 16}));
  AttentionOutput r = model.attn(x, x, x);
  CHECK(r.output.shape() == Shape{2, 5, 16});
  CHECK(r.weights.shape() == Shape{2, 5, 5});
  // Cross-attention over a longer source sequence.
  Value src = t.input("src", f32({2, 9, 16}));
  AttentionOutput c = model.attn(x, src, src);
  CHECK(c.output.shape() == Shape{2, 5, 16});
  CHECK(c.weights.shape() == Shape{2, 5, 9});
}

TEST_CASE("attention computes softmax(Q K^T / sqrt(d_k)) V per head", "[frontend][attention]") {
  Attn model(/*batchFirst=*/false);
  Graph g;
  Traced tr = trace(model, g, f32({7, 3, 16}), Mode::Eval); // [T, B, E]
  CHECK(g.type(tr.output) == f32({7, 3, 16}));
  std::vector<const Node *> matmuls;
  for (const Node &n : g.nodes())
    if (n.op == OpKind::Matmul)
      matmuls.push_back(&n);
  // q, k, v projections, scores, context, out_proj.
  REQUIRE(matmuls.size() == 6);
  const Node &scores = *matmuls[3];
  CHECK(scores.type == f32({3 * 4, 7, 7})); // [B * heads, T, T]
  CHECK(scores.attrs.getBool("transpose_b"));
  CHECK(matmuls[4]->type == f32({12, 7, 4}));
  bool scaled = false;
  for (const Node &n : g.nodes())
    if (n.op == OpKind::Constant && n.attrs.has("value") &&
        n.attrs.getFloat("value") == Approx(1.0 / std::sqrt(4.0)))
      scaled = true;
  CHECK(scaled);
  int softmaxNodes = 0;
  for (const Node &n : g.nodes())
    softmaxNodes += n.scope == "attn/softmax";
  CHECK(softmaxNodes > 0);
}

TEST_CASE("attention parameters carry PyTorch's names and init", "[frontend][attention]") {
  Attn model(true);
  std::vector<Module::NamedState> s = model.namedStates();
  REQUIRE(s.size() == 4);
  CHECK(s[0].name == "attn.in_proj_weight");
  CHECK(s[0].decl->type == f32({48, 16}));
  CHECK(s[0].decl->attrs.getFloat("bound") == Approx(std::sqrt(6.0 / 64.0)));
  CHECK(s[1].name == "attn.in_proj_bias");
  CHECK(s[1].decl->attrs.getString("init") == "zeros");
  CHECK(s[2].name == "attn.out_proj.weight");
  CHECK(s[2].decl->attrs.getFloat("bound") == Approx(0.25));
  CHECK(s[3].name == "attn.out_proj.bias");
  CHECK(s[3].decl->attrs.getString("init") == "zeros");
  CHECK(s[3].decl->trainable);
  CHECK_THROWS_WITH(MultiheadAttention(nullptr, "", 10, 4),
                    Catch::Contains("MultiheadAttention(embed 10, heads 4)"));
}

TEST_CASE("attention rejects inputs of the wrong width", "[frontend][attention]") {
  Attn model(true);
  Graph g;
  Tracer t(g, Mode::Eval);
  CHECK_THROWS_WITH(model(t.input("x", f32({2, 5, 8}))),
                    Catch::Equals("attn: MultiheadAttention(embed 16, heads 4) got query "
                                  "f32[2,5,8] (expected f32[B,T,16])"));
}

TEST_CASE("the Transformer encoder layer has PyTorch's structure", "[frontend][attention]") {
  struct Encoder : Module {
    using Module::Module;
    TransformerEncoderLayer layer{this, "layer", 16, 4, {.dimFeedforward = 32}};
    Value forward(Value x) override { return layer(x); }
  } model;
  std::vector<std::string> names;
  for (const auto &s : model.namedStates())
    names.push_back(s.name);
  CHECK(names ==
        std::vector<std::string>{"layer.self_attn.in_proj_weight", "layer.self_attn.in_proj_bias",
                                 "layer.self_attn.out_proj.weight", "layer.self_attn.out_proj.bias",
                                 "layer.linear1.weight", "layer.linear1.bias",
                                 "layer.linear2.weight", "layer.linear2.bias", "layer.norm1.weight",
                                 "layer.norm1.bias", "layer.norm2.weight", "layer.norm2.bias"});
  Graph train, eval;
  Traced tt = trace(model, train, f32({6, 2, 16}), Mode::Train);
  Traced te = trace(model, eval, f32({6, 2, 16}), Mode::Eval);
  CHECK(train.type(tt.output) == f32({6, 2, 16}));
  CHECK(eval.type(te.output) == f32({6, 2, 16}));
  CHECK(train.node(tt.output).scope == "layer/norm2");
  auto draws = [](const Graph &g) {
    std::set<int64_t> seeds;
    for (const Node &n : g.nodes())
      if (n.op == OpKind::RandomUniform)
        seeds.insert(n.attrs.getInt("seed"));
    return seeds.size();
  };
  // Attention weights, dropout1, the feed-forward dropout and dropout2.
  CHECK(draws(train) == 4);
  CHECK(draws(eval) == 0);
}
