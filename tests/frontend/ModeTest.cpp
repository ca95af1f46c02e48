// Train and eval graphs of the same model differ exactly where PyTorch's modes differ:
// dropout masks, batch-norm statistics and their running-state updates.
#include "kiln/frontend/Frontend.h"
#include "kiln/ir/Error.h"

#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>

#include <set>

using namespace kiln;

namespace {
/// (op, scope, type) of each node: a graph's structure without value numbering.
using Signature = std::vector<std::tuple<OpKind, std::string, Type>>;

Signature signature(const Graph &g, const std::function<bool(const Node &)> &skip) {
  Signature s;
  for (const Node &n : g.nodes())
    if (!skip(n))
      s.emplace_back(n.op, n.scope, n.type);
  return s;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
} // namespace

TEST_CASE("dropout adds nodes only to the train graph", "[frontend][mode]") {
  for (const char *name : {"mlp", "cnn"}) {
    BuiltModel train = buildModel(name, 16, Mode::Train);
    BuiltModel eval = buildModel(name, 16, Mode::Eval);
    auto isDropout = [](const Node &n) {
      return endsWith(n.scope, "/dropout") || n.name == "step";
    };
    CHECK(signature(train.graph, isDropout) ==
          signature(eval.graph, [](const Node &) { return false; }));
    for (const Node &n : eval.graph.nodes())
      CHECK_FALSE(isDropout(n));
    CHECK(train.graph.updates().empty());
    CHECK(eval.graph.updates().empty());
  }
}

TEST_CASE("each dropout call draws its own mask from the shared step counter", "[frontend][mode]") {
  BuiltModel m = buildModel("mlp", 16, Mode::Train);
  ValueId step = *m.graph.findNamed("step");
  CHECK(m.graph.type(step) == Type{DType::I32, {}});
  std::set<int64_t> seeds;
  int draws = 0;
  for (const Node &n : m.graph.nodes())
    if (n.op == OpKind::RandomUniform) {
      ++draws;
      CHECK(n.operands == std::vector<ValueId>{step});
      seeds.insert(n.attrs.getInt("seed"));
    }
  CHECK(draws == 2); // the one Dropout module is called twice
  CHECK(seeds.size() == 2);
  // The same model traced again gets the same seeds (a resumed run repeats its masks).
  BuiltModel again = buildModel("mlp", 16, Mode::Train);
  std::set<int64_t> seedsAgain;
  for (const Node &n : again.graph.nodes())
    if (n.op == OpKind::RandomUniform)
      seedsAgain.insert(n.attrs.getInt("seed"));
  CHECK(seeds == seedsAgain);
}

TEST_CASE("dropout reuses a step counter the graph already has", "[frontend][mode]") {
  Graph g("g");
  ValueId existing = g.addState("step", {DType::I32, {}}, {{"init", std::string("zeros")}});
  Tracer t(g, Mode::Train);
  Value x = t.input("x", {DType::F32, {4, 3}});
  Value y = dropout(x, 0.5);
  CHECK(g.node(y.id()).op == OpKind::Select);
  CHECK(g.states() == std::vector<ValueId>{existing});

  Graph bad("bad");
  bad.addState("step", {DType::F32, {}});
  Tracer tb(bad, Mode::Train);
  CHECK_THROWS_WITH(dropout(tb.input("x", {DType::F32, {2}}), 0.5),
                    Catch::Contains("'step' that is not i32[] state"));
}

TEST_CASE("dropout in eval mode and with p = 0 is the identity", "[frontend][mode]") {
  Graph g;
  Tracer eval(g, Mode::Eval);
  Value x = eval.input("x", {DType::F32, {4}});
  CHECK(dropout(x, 0.5).id() == x.id());
  Graph g2;
  Tracer train(g2, Mode::Train);
  Value x2 = train.input("x", {DType::F32, {4}});
  CHECK(dropout(x2, 0.0).id() == x2.id());
  CHECK(g2.size() == 1);
  CHECK_THROWS_WITH(Dropout(1.5), Catch::Contains("probability must be in [0, 1], got 1.5"));
}

TEST_CASE("batch norm updates its running statistics only in train mode", "[frontend][mode]") {
  BuiltModel train = buildModel("icnn", 8, Mode::Train);
  BuiltModel eval = buildModel("icnn", 8, Mode::Eval);
  CHECK(eval.graph.updates().empty());
  std::set<std::string> updated;
  for (const Update &u : train.graph.updates())
    updated.insert(train.graph.node(u.state).name);
  std::set<std::string> expected;
  for (std::string bn : {"bn1", "bn2", "bn3"})
    for (std::string s : {".running_mean", ".running_var", ".num_batches_tracked"})
      expected.insert(bn + s);
  CHECK(updated == expected);

  // Train normalizes with batch statistics (reductions over N, H, W); eval with the
  // running ones (no reductions of the activations).
  auto reductionsIn = [](const Graph &g, const std::string &scope) {
    int n = 0;
    for (const Node &node : g.nodes())
      n += node.scope == scope && node.op == OpKind::ReduceMean;
    return n;
  };
  CHECK(reductionsIn(train.graph, "bn1") == 2); // mean and variance
  CHECK(reductionsIn(eval.graph, "bn1") == 0);

  // Outside batch norm and dropout, the two graphs are the same.
  auto differs = [](const Node &n) {
    bool batchNorm = n.scope.rfind("bn", 0) == 0 &&
                     (n.scope.size() == 3 || n.scope.substr(3) == "/running_stats");
    return batchNorm || endsWith(n.scope, "/dropout") || n.name == "step";
  };
  CHECK(signature(train.graph, differs) == signature(eval.graph, differs));
}

TEST_CASE("the running-variance update uses the unbiased variance", "[frontend][mode]") {
  Graph g;
  Tracer t(g, Mode::Train);
  struct M : Module {
    using Module::Module;
    BatchNorm1d bn{this, "bn", 3};
    Value forward(Value x) override { return bn(x); }
  } model;
  model(t.input("x", {DType::F32, {5, 3}}));
  ValueId rv = *g.findNamed("bn.running_var");
  g.addOutput("running_var", *g.findUpdate(rv));
  // Channel c holds 0, 1, 2, 3, 4 times (c + 1): variance 2 (c + 1)^2, unbiased 2.5 (c + 1)^2.
  Tensor x(Type{DType::F32, {5, 3}});
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t c = 0; c < 3; ++c)
      x.data<float>()[size_t(i * 3 + c)] = float(i * (c + 1));
  std::vector<Tensor> inputs = {x}, state;
  for (ValueId id : g.states())
    state.push_back(Tensor::full(g.type(id), g.node(id).name == "bn.running_var" ? 1.0 : 0.0));
  Interpreter::Result r = Interpreter(g).run(inputs, state);
  // update = rv (1 - m) + m var n / (n - 1) with n = 5, m = 0.1.
  for (int64_t c = 0; c < 3; ++c)
    CHECK(r.outputs[0].at(c) == Approx(0.9 + 0.1 * 2.5 * double((c + 1) * (c + 1))));
}

TEST_CASE("a batch norm applied twice in one training graph is an error", "[frontend][mode]") {
  Graph g;
  Tracer t(g, Mode::Train);
  struct M : Module {
    using Module::Module;
    BatchNorm1d bn{this, "bn", 3};
    Value forward(Value x) override { return bn(bn(x)); }
  } model;
  CHECK_THROWS_WITH(model(t.input("x", {DType::F32, {5, 3}})),
                    Catch::Contains("bn: BatchNorm1d is applied twice"));
}
