// The tutorial's models (spec §9-2): state_dict names, shapes, parameter counts,
// intermediate shapes, and the zoo's lookup and graph naming.
#include "kiln/frontend/Zoo.h"
#include "kiln/frontend/Loss.h"
#include "kiln/frontend/Models.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Printer.h"
#include "kiln/ir/Verifier.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

using namespace kiln;

namespace {
/// name -> type of every state node, and the names in declaration order.
struct StateTable {
  std::vector<std::string> names;
  std::map<std::string, Type> types;
};

StateTable states(const Graph &g) {
  StateTable t;
  for (ValueId id : g.states()) {
    t.names.push_back(g.node(id).name);
    t.types[g.node(id).name] = g.type(id);
  }
  return t;
}

int64_t trainableElements(const Graph &g, const std::vector<ValueId> &ids) {
  int64_t n = 0;
  for (ValueId id : ids) {
    CHECK(g.node(id).attrs.getBool("trainable"));
    n += g.type(id).numElements();
  }
  return n;
}

/// Result shapes of the nodes of `op`, in graph order.
std::vector<Shape> shapesOf(const Graph &g, OpKind op) {
  std::vector<Shape> out;
  for (const Node &n : g.nodes())
    if (n.op == op)
      out.push_back(n.type.shape);
  return out;
}

Type f32(Shape s) { return {DType::F32, std::move(s)}; }
} // namespace

TEST_CASE("MLP has PyTorch's parameters: 235,146 of them", "[frontend][zoo]") {
  MLP model;
  CHECK(model.numParameters() == 235146);
  BuiltModel m = buildModel("mlp", 64, Mode::Train);
  StateTable t = states(m.graph);
  CHECK(t.names == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
                                            "fc3.weight", "fc3.bias", "step"});
  CHECK(t.types["fc1.weight"] == f32({256, 784}));
  CHECK(t.types["fc2.weight"] == f32({128, 256}));
  CHECK(t.types["fc3.bias"] == f32({10}));
  CHECK(m.parameters.size() == 6);
  CHECK(trainableElements(m.graph, m.parameters) == 235146);
  CHECK(m.graph.type(m.logits) == f32({64, 10}));
  CHECK(m.graph.type(m.input) == f32({64, 1, 28, 28}));
  CHECK(m.graph.node(m.input).name == "x");
}

TEST_CASE("CNN has PyTorch's parameters and the spec's intermediate shapes", "[frontend][zoo]") {
  BuiltModel m = buildModel("cnn", 8, Mode::Eval);
  StateTable t = states(m.graph);
  CHECK(t.names == std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight",
                                            "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight",
                                            "fc2.bias"});
  CHECK(t.types["conv1.weight"] == f32({32, 1, 3, 3}));
  CHECK(t.types["conv2.weight"] == f32({64, 32, 3, 3}));
  CHECK(t.types["fc1.weight"] == f32({128, 3136}));
  CHECK(trainableElements(m.graph, m.parameters) == 421642);
  CHECK(shapesOf(m.graph, OpKind::MaxPool2d) == std::vector<Shape>{{8, 32, 14, 14}, {8, 64, 7, 7}});
  CHECK(shapesOf(m.graph, OpKind::Conv2d) == std::vector<Shape>{{8, 32, 28, 28}, {8, 64, 14, 14}});
  CHECK(m.graph.type(m.logits) == f32({8, 10}));
}

TEST_CASE("ImprovedCNN has batch-norm buffers and 390,858 trainable parameters",
          "[frontend][zoo]") {
  // conv1 320 + bn1 64 + conv2 18,496 + bn2 128 + conv3 73,856 + bn3 256
  // + fc1 1152*256+256 = 295,168 + fc2 2,570 = 390,858.
  ImprovedCNN model;
  CHECK(model.numParameters() == 390858);
  BuiltModel m = buildModel("icnn", 4, Mode::Train);
  StateTable t = states(m.graph);
  std::vector<std::string> expected;
  for (std::string i : {"1", "2", "3"}) {
    for (std::string p : {"weight", "bias"})
      expected.push_back("conv" + i + "." + p);
    for (std::string p : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
      expected.push_back("bn" + i + "." + p);
  }
  for (std::string p : {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"})
    expected.push_back(p);
  expected.push_back("step");
  CHECK(t.names == expected);
  CHECK(t.types["conv3.weight"] == f32({128, 64, 3, 3}));
  CHECK(t.types["bn2.running_var"] == f32({64}));
  CHECK(t.types["bn3.num_batches_tracked"] == Type{DType::I32, {}});
  CHECK(t.types["fc1.weight"] == f32({256, 1152}));
  CHECK(m.parameters.size() == 16);
  CHECK(m.buffers.size() == 9);
  CHECK(trainableElements(m.graph, m.parameters) == 390858);
  CHECK(shapesOf(m.graph, OpKind::MaxPool2d) ==
        std::vector<Shape>{{4, 32, 14, 14}, {4, 64, 7, 7}, {4, 128, 3, 3}});
}

TEST_CASE("parameters carry PyTorch's default initialization and trainability", "[frontend][zoo]") {
  BuiltModel m = buildModel("icnn", 2, Mode::Train);
  auto attrs = [&](const char *name) { return m.graph.node(*m.graph.findNamed(name)).attrs; };
  CHECK(attrs("fc1.weight") == Attrs{{"init", std::string("uniform")},
                                     {"bound", 1.0 / std::sqrt(1152.0)},
                                     {"trainable", true}});
  CHECK(attrs("conv2.bias").getFloat("bound") == Approx(1.0 / std::sqrt(32.0 * 9)));
  CHECK(attrs("bn1.weight") == Attrs{{"init", std::string("ones")}, {"trainable", true}});
  CHECK(attrs("bn1.bias") == Attrs{{"init", std::string("zeros")}, {"trainable", true}});
  CHECK(attrs("bn1.running_mean") == Attrs{{"init", std::string("zeros")}, {"trainable", false}});
  CHECK(attrs("bn1.running_var") == Attrs{{"init", std::string("ones")}, {"trainable", false}});
  CHECK(attrs("bn1.num_batches_tracked") ==
        Attrs{{"init", std::string("zeros")}, {"trainable", false}});
  CHECK(attrs("step") == Attrs{{"init", std::string("zeros")}, {"trainable", false}});
}

TEST_CASE("every node of every zoo graph has a scope", "[frontend][zoo]") {
  for (const ModelSpec &e : zoo())
    for (Mode mode : {Mode::Train, Mode::Eval}) {
      BuiltModel m = buildModel(e.name, 3, mode);
      for (const Node &n : m.graph.nodes()) {
        INFO(e.name << " " << modeName(mode) << " " << mnemonic(n.op) << " " << n.name);
        CHECK_FALSE(n.scope.empty());
      }
    }
}

TEST_CASE("scopes name the layer and the function applied to it", "[frontend][zoo]") {
  BuiltModel m = buildModel("cnn", 2, Mode::Train);
  std::set<std::string> scopes;
  for (const Node &n : m.graph.nodes())
    scopes.insert(n.scope);
  CHECK(scopes == std::set<std::string>{"input", "conv1", "conv1/relu", "conv1/pool", "conv2",
                                        "conv2/relu", "conv2/pool", "conv2/view", "conv2/dropout",
                                        "step", "fc1", "fc1/relu", "fc1/dropout", "fc2"});
  BuiltModel bn = buildModel("icnn", 2, Mode::Train);
  for (const Update &u : bn.graph.updates())
    CHECK(bn.graph.node(u.value).scope.find("/running_stats") != std::string::npos);
}

TEST_CASE("zoo graphs are named by model and mode", "[frontend][zoo]") {
  CHECK(buildModel("mlp", 1, Mode::Train).graph.name() == "mlp.forward");
  CHECK(buildModel("icnn", 1, Mode::Eval).graph.name() == "icnn.eval");
  CHECK(zooEntry("cnn").inputType(5) == f32({5, 1, 28, 28}));
  CHECK(zooEntry("xor_mlp").inputType(4) == f32({4, 2}));
  CHECK(zooEntry("cnn").output == OutputKind::Logits);
  CHECK(zooEntry("perceptron").output == OutputKind::Probability);
}

TEST_CASE("an unknown zoo model lists the valid names", "[frontend][zoo]") {
  CHECK_THROWS_WITH(zooEntry("resnet"),
                    Catch::Contains("unknown model 'resnet'") &&
                        Catch::Contains("perceptron, xor_mlp, xor_mlp_relu, mlp, cnn, icnn"));
  CHECK_THROWS_AS(buildModel("mlp", 0, Mode::Train), Error);
}

TEST_CASE("the XOR models map [B,2] to one probability per example", "[frontend][zoo]") {
  for (const char *name : {"perceptron", "xor_mlp", "xor_mlp_relu"}) {
    BuiltModel m = buildModel(name, 4, Mode::Train);
    CHECK(m.graph.type(m.logits) == f32({4, 1}));
    CHECK(m.graph.node(m.logits).op == OpKind::Logistic);
  }
  BuiltModel p = buildModel("perceptron", 4, Mode::Eval);
  CHECK(p.graph.node(p.logits).op == OpKind::Convert); // step(z) = (z > 0) as f32
  StateTable t = states(buildModel("xor_mlp", 4, Mode::Eval).graph);
  CHECK(t.types["fc1.weight"] == f32({4, 2}));
  CHECK(t.types["fc2.weight"] == f32({1, 4}));
}

TEST_CASE("a loss is added to a built model with a second tracer", "[frontend][zoo]") {
  BuiltModel m = buildModel("mlp", 8, Mode::Train);
  Tracer t(m.graph, Mode::Train);
  Value loss = cross_entropy(t.wrap(m.logits), t.input("y", {DType::I32, {8}}));
  CHECK(loss.type() == f32({}));
  CHECK(m.graph.node(loss.id()).scope == "cross_entropy");
  // Further dropout draws get seeds distinct from the model's.
  std::set<int64_t> seeds;
  int draws = 0;
  dropout(t.wrap(m.logits), 0.5);
  for (const Node &n : m.graph.nodes())
    if (n.op == OpKind::RandomUniform) {
      ++draws;
      seeds.insert(n.attrs.getInt("seed"));
    }
  CHECK(draws == 3);
  CHECK(seeds.size() == 3);
}

TEST_CASE("zoo graphs verify and survive a print/parse round trip", "[frontend][zoo]") {
  for (const ModelSpec &e : zoo())
    for (Mode mode : {Mode::Train, Mode::Eval}) {
      INFO(e.name << " " << modeName(mode));
      BuiltModel m = buildModel(e.name, 2, mode);
      m.graph.addOutput("logits", m.logits);
      CHECK_NOTHROW(verify(m.graph));
      std::string text = printGraph(m.graph);
      CHECK(printGraph(parseGraph(text)) == text);
    }
}
