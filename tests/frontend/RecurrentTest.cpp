// LSTM (spec §6): PyTorch's shapes, parameter names and layout, and its unrolling.
#include "kiln/frontend/Frontend.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

using namespace kiln;

namespace {
Type f32(Shape s) { return {DType::F32, std::move(s)}; }

struct SpecLstm : Module {
  using Module::Module;
  // nn.LSTM(input_size=10, hidden_size=64, num_layers=2, batch_first=True)
  LSTM lstm{this, "lstm", 10, 64, {.numLayers = 2, .batchFirst = true}};
  Value forward(Value x) override { return lstm(x).output; }
};
} // namespace

TEST_CASE("LSTM returns PyTorch's shapes for spec §6's example", "[frontend][lstm]") {
  SpecLstm model;
  Graph g;
  Tracer t(g, Mode::Train);
  Value x = t.input("x", f32({32, 20, 10})); // batch 32, sequence 20, features 10
  auto [output, h_n, c_n] = model.lstm(x);
  CHECK(output.shape() == Shape{32, 20, 64});
  CHECK(h_n.shape() == Shape{2, 32, 64});
  CHECK(c_n.shape() == Shape{2, 32, 64});
  CHECK(g.node(output.id()).scope.rfind("lstm", 0) == 0);
}

TEST_CASE("LSTM parameters follow PyTorch's names, layout and init", "[frontend][lstm]") {
  SpecLstm model;
  std::vector<Module::NamedState> s = model.namedStates();
  std::vector<std::string> names;
  for (const auto &n : s)
    names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"lstm.weight_ih_l0", "lstm.weight_hh_l0",
                                          "lstm.bias_ih_l0", "lstm.bias_hh_l0", "lstm.weight_ih_l1",
                                          "lstm.weight_hh_l1", "lstm.bias_ih_l1",
                                          "lstm.bias_hh_l1"});
  CHECK(s[0].decl->type == f32({256, 10}));
  CHECK(s[1].decl->type == f32({256, 64}));
  CHECK(s[2].decl->type == f32({256}));
  CHECK(s[4].decl->type == f32({256, 64}));
  for (const auto &n : s)
    CHECK(n.decl->attrs.getFloat("bound") == Approx(1.0 / 8.0)); // 1/sqrt(64)
  // 4H(in + H) + 8H per layer.
  CHECK(model.numParameters() == (256 * 10 + 256 * 64 + 512) + (256 * 64 + 256 * 64 + 512));
}

TEST_CASE("LSTM unrolls one cell per layer and step", "[frontend][lstm]") {
  struct One : Module {
    using Module::Module;
    LSTM lstm{this, "lstm", 3, 2};
    Value forward(Value x) override { return lstm(x).output; }
  } model;
  Graph g;
  Traced tr = trace(model, g, f32({5, 4, 3}), Mode::Eval); // [T, B, in]
  CHECK(g.type(tr.output) == f32({5, 4, 2}));
  int matmuls = 0, tanhs = 0;
  for (const Node &n : g.nodes()) {
    matmuls += n.op == OpKind::Matmul;
    tanhs += n.op == OpKind::Tanh;
  }
  // One input projection for all steps, one recurrent matmul per step after the first
  // (the zero initial state contributes nothing); two tanh per step.
  CHECK(matmuls == 1 + 4);
  CHECK(tanhs == 2 * 5);
  std::set<std::string> scopes;
  for (const Node &n : g.nodes())
    scopes.insert(n.scope);
  CHECK(scopes.count("lstm/l0/t4/sigmoid"));
}

TEST_CASE("LSTM with initial states and its input errors", "[frontend][lstm]") {
  struct One : Module {
    using Module::Module;
    LSTM lstm{this, "lstm", 3, 2, {.numLayers = 2}};
    Value forward(Value x) override { return lstm(x).output; }
  } model;
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({5, 4, 3}));
  Value h0 = t.input("h0", f32({2, 4, 2})), c0 = t.input("c0", f32({2, 4, 2}));
  LSTMOutput r = model.lstm(x, h0, c0);
  CHECK(r.h_n.shape() == Shape{2, 4, 2});
  CHECK_THROWS_WITH(model.lstm(x, h0, t.input("c1", f32({1, 4, 2}))),
                    Catch::Contains("lstm: LSTM(input 3, hidden 2, layers 2) got initial states"));
  CHECK_THROWS_WITH(model.lstm(t.input("bad", f32({5, 4, 7}))),
                    Catch::Equals("lstm: LSTM(input 3, hidden 2, layers 2) got input "
                                  "f32[5,4,7] (expected f32[T,B,3])"));
}

TEST_CASE("RNN returns PyTorch's shapes in both layouts", "[frontend][rnn]") {
  struct M : Module {
    using Module::Module;
    RNN first{this, "first", 10, 16, {.numLayers = 3, .batchFirst = true}};
    RNN timeMajor{this, "time_major", 10, 16};
    Value forward(Value x) override { return first(x).output; }
  } model;
  Graph g;
  Tracer t(g, Mode::Train);
  auto [output, h_n] = model.first(t.input("x", f32({4, 7, 10}))); // [B, T, in]
  CHECK(output.shape() == Shape{4, 7, 16});
  CHECK(h_n.shape() == Shape{3, 4, 16});
  RNNOutput r = model.timeMajor(t.input("xt", f32({7, 4, 10}))); // [T, B, in]
  CHECK(r.output.shape() == Shape{7, 4, 16});
  CHECK(r.h_n.shape() == Shape{1, 4, 16});
  CHECK(g.node(r.output.id()).scope.rfind("time_major", 0) == 0);
  // One tanh per layer and step; the first step of each layer has no recurrent matmul.
  int tanhs = 0, matmuls = 0;
  for (const Node &n : g.nodes()) {
    tanhs += n.op == OpKind::Tanh;
    matmuls += n.op == OpKind::Matmul;
  }
  CHECK(tanhs == 3 * 7 + 7);
  CHECK(matmuls == (3 * (1 + 6)) + (1 + 6));
}

TEST_CASE("RNN parameters follow PyTorch's names, layout and init", "[frontend][rnn]") {
  struct M : Module {
    using Module::Module;
    RNN rnn{this, "rnn", 10, 20, {.numLayers = 2}};
    Value forward(Value x) override { return rnn(x).output; }
  } model;
  std::vector<Module::NamedState> s = model.namedStates();
  std::vector<std::string> names;
  for (const auto &n : s)
    names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0",
                                          "rnn.bias_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1",
                                          "rnn.bias_ih_l1", "rnn.bias_hh_l1"});
  CHECK(s[0].decl->type == f32({20, 10}));
  CHECK(s[1].decl->type == f32({20, 20}));
  CHECK(s[2].decl->type == f32({20}));
  CHECK(s[4].decl->type == f32({20, 20}));
  for (const auto &n : s) {
    CHECK(n.decl->attrs.getString("init") == "uniform");
    CHECK(n.decl->attrs.getFloat("bound") == Approx(1.0 / std::sqrt(20.0)));
    CHECK(n.decl->trainable);
  }
  // H(in + H) + 2H, then H(H + H) + 2H: PyTorch's sum(p.numel()).
  CHECK(model.numParameters() == (20 * 10 + 20 * 20 + 40) + (20 * 20 + 20 * 20 + 40));

  struct NoBias : Module {
    using Module::Module;
    RNN rnn{this, "rnn", 3, 4, {.bias = false}};
    Value forward(Value x) override { return rnn(x).output; }
  } noBias;
  CHECK(noBias.namedStates().size() == 2);
}

TEST_CASE("RNN checks its input and initial state", "[frontend][rnn]") {
  struct M : Module {
    using Module::Module;
    RNN rnn{this, "rnn", 3, 4, {.numLayers = 2, .batchFirst = true}};
    Value forward(Value x) override { return rnn(x).output; }
  } model;
  Graph g;
  Tracer t(g, Mode::Eval);
  CHECK_THROWS_WITH(model.rnn(t.input("x", f32({2, 5, 4}))),
                    Catch::Contains("RNN(input 3, hidden 4, layers 2, batch_first) got input "
                                    "f32[2,5,4] (expected f32[B,T,3])"));
  Value x = t.input("x2", f32({2, 5, 3}));
  CHECK_THROWS_WITH(model.rnn(x, t.input("h0", f32({1, 2, 4}))),
                    Catch::Contains("expected f32[2,2,4]"));
  CHECK_THROWS_AS(RNN(nullptr, "", 0, 4), Error);
}
