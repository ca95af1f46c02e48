// Linear, Conv2d, pooling, activations and normalization layers: the nodes they emit,
// their parameters, and the errors they raise with the layer path and shapes.
#include "kiln/frontend/Frontend.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kiln;

namespace {
Type f32(Shape s) { return {DType::F32, std::move(s)}; }

/// A root module holding one layer, for tests that call it directly.
struct Holder : Module {
  using Module::Module;
  Value forward(Value x) override { return x; }
};
} // namespace

TEST_CASE("Linear is matmul with the transposed weight plus a broadcast bias",
          "[frontend][layers]") {
  Holder root;
  Linear fc(&root, "fc1", 784, 256);
  Graph g;
  Tracer t(g, Mode::Train);
  Value y = fc(t.input("x", f32({64, 784})));
  CHECK(y.type() == f32({64, 256}));
  const Node &add = g.node(y.id());
  REQUIRE(add.op == OpKind::Add);
  const Node &mm = g.node(add.operands[0]);
  CHECK(mm.op == OpKind::Matmul);
  CHECK(mm.attrs.getBool("transpose_b"));
  CHECK(g.node(mm.operands[1]).name == "fc1.weight");
  CHECK(g.node(g.node(add.operands[1]).operands[0]).name == "fc1.bias");
  CHECK(add.scope == "fc1");
  CHECK(t.parameters().size() == 2);
}

TEST_CASE("Linear accepts leading batch dimensions and no bias", "[frontend][layers]") {
  Holder root;
  Linear fc(&root, "proj", 10, 6, {.bias = false});
  CHECK(root.namedStates().size() == 1);
  Graph g;
  Tracer t(g, Mode::Eval);
  CHECK(fc(t.input("x", f32({2, 5, 10}))).shape() == Shape{2, 5, 6});
  CHECK(fc(t.input("v", f32({10}))).shape() == Shape{6});
}

TEST_CASE("a wrong input to Linear names the layer and both shapes", "[frontend][layers]") {
  Holder root;
  Linear fc(&root, "fc1", 784, 256);
  Graph g;
  Tracer t(g, Mode::Train);
  CHECK_THROWS_WITH(fc(t.input("x", f32({64, 100}))),
                    Catch::Equals("fc1: Linear(784 -> 256) got input f32[64,100]"));
}

TEST_CASE("Conv2d has PyTorch's weight layout and honours its options", "[frontend][layers]") {
  Holder root;
  Conv2d plain(&root, "conv1", 3, 8, {.kernel = 3, .padding = 1});
  Conv2d fancy(&root, "conv2", 8, 4,
               {.kernel = {3, 5},
                .stride = 2,
                .padding = {1, 2},
                .dilation = 1,
                .groups = 2,
                .bias = false});
  std::vector<Module::NamedState> s = root.namedStates();
  REQUIRE(s.size() == 3);
  CHECK(s[0].name == "conv1.weight");
  CHECK(s[0].decl->type == f32({8, 3, 3, 3}));
  CHECK(s[0].decl->attrs.getFloat("bound") == Approx(1.0 / std::sqrt(27.0)));
  CHECK(s[2].name == "conv2.weight");
  CHECK(s[2].decl->type == f32({4, 4, 3, 5}));
  Graph g;
  Tracer t(g, Mode::Eval);
  Value y = fancy(plain(t.input("x", f32({2, 3, 16, 16}))));
  CHECK(y.shape() == Shape{2, 4, 8, 8});
  const Node &conv = g.node(y.id());
  CHECK(conv.op == OpKind::Conv2d);
  CHECK(conv.attrs.getInt("groups") == 2);
  CHECK(conv.attrs.getInts("padding") == std::vector<int64_t>{1, 2});
}

TEST_CASE("Conv2d errors name the layer, its configuration and the input", "[frontend][layers]") {
  Holder root;
  Conv2d conv(&root, "conv1", 1, 32, {.kernel = 5});
  Graph g;
  Tracer t(g, Mode::Eval);
  CHECK_THROWS_WITH(conv(t.input("x", f32({4, 3, 28, 28}))),
                    Catch::StartsWith("conv1: Conv2d(1 -> 32, kernel [5,5]") &&
                        Catch::Contains("got input f32[4,3,28,28]"));
  CHECK_THROWS_WITH(conv(t.input("small", f32({4, 1, 3, 3}))),
                    Catch::StartsWith("conv1: Conv2d(1 -> 32") && Catch::Contains("f32[4,1,3,3]") &&
                        Catch::Contains("kernel is larger than the padded input along height"));
  CHECK_THROWS_WITH(Conv2d(&root, "conv2", 3, 4, {.kernel = 3, .groups = 2}),
                    Catch::Contains("conv2: Conv2d(3 -> 4") &&
                        Catch::Contains("multiples of groups"));
}

TEST_CASE("module and parameter names are checked", "[frontend][layers]") {
  Holder root;
  Linear fc(&root, "fc", 2, 2);
  CHECK_THROWS_WITH(Linear(&root, "fc", 2, 2), Catch::Contains("the name 'fc' is already used"));
  CHECK_THROWS_WITH(Linear(&root, "a.b", 2, 2), Catch::Contains("invalid submodule name 'a.b'"));
  CHECK_THROWS_WITH(Linear(&root, "", 2, 2), Catch::Contains("invalid submodule name ''"));
}

TEST_CASE("nested modules join names with '.' and scopes with '/'", "[frontend][layers]") {
  struct Block : Module {
    using Module::Module;
    Linear fc{this, "fc", 4, 4};
    Value forward(Value x) override { return relu(fc(x)); }
  };
  struct Net : Module {
    using Module::Module;
    Block encoder{this, "encoder"};
    Value forward(Value x) override { return encoder(x); }
  } net;
  Graph g;
  Traced tr = trace(net, g, f32({2, 4}), Mode::Eval);
  CHECK(g.node(tr.parameters[0]).name == "encoder.fc.weight");
  CHECK(g.node(tr.parameters[0]).scope == "encoder/fc");
  CHECK(g.node(tr.output).scope == "encoder/fc/relu");
  CHECK(net.encoder.fc.path() == "encoder.fc");
}

TEST_CASE("pooling windows and their errors", "[frontend][layers]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({2, 3, 7, 7}));
  CHECK(MaxPool2d(2, 2)(x).shape() == Shape{2, 3, 3, 3}); // floor, like PyTorch
  CHECK(AvgPool2d(3, 1, 1)(x).shape() == Shape{2, 3, 7, 7});
  CHECK(max_pool2d(x, {2, 3}).shape() == Shape{2, 3, 3, 2});
  CHECK(g.node(MaxPool2d(2)(x).id()).attrs.getInts("stride") == std::vector<int64_t>{2, 2});
  CHECK_THROWS_WITH(MaxPool2d(0), Catch::Contains("MaxPool2d: kernel and stride must be >= 1"));
  CHECK_THROWS_WITH(MaxPool2d(2, 2, 2), Catch::Contains("padding [2,2]"));
  CHECK_THROWS_WITH(MaxPool2d(2)(t.input("flat", f32({2, 3}))),
                    Catch::Contains("pool expects an NCHW input, got f32[2,3]"));
  CHECK_THROWS_WITH(MaxPool2d(9)(x), Catch::Contains("larger than the padded input"));
}

TEST_CASE("activations are built from primitive ops", "[frontend][layers]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({4}));
  CHECK(g.node(sigmoid(x).id()).op == OpKind::Logistic);
  CHECK(g.node(tanh(x).id()).op == OpKind::Tanh);
  const Node &r = g.node(relu(x).id());
  CHECK(r.op == OpKind::Max);
  CHECK(g.node(g.node(r.operands[1]).operands[0]).attrs.getFloat("value") == 0.0);
  const Node &lr = g.node(leaky_relu(x).id());
  CHECK(lr.op == OpKind::Select);
  const Node &slope = g.node(g.node(g.node(lr.operands[2]).operands[1]).operands[0]);
  CHECK(slope.attrs.getFloat("value") == 0.01);
  CHECK(softmax(t.input("m", f32({3, 5}))).shape() == Shape{3, 5});
  Value ls = log_softmax(t.input("n", f32({3, 5})), 0);
  CHECK(ls.shape() == Shape{3, 5});
  CHECK(g.node(ls.id()).op == OpKind::Sub);
  CHECK_THROWS_WITH(softmax(t.input("i", {DType::I32, {3}})), Catch::Contains("float input"));
}

TEST_CASE("BatchNorm and LayerNorm parameters and input checks", "[frontend][layers]") {
  Holder root;
  BatchNorm2d bn(&root, "bn1", 16);
  BatchNorm1d bn1d(&root, "bn2", 6);
  LayerNorm ln(&root, "ln", {5, 6});
  Graph g;
  Tracer t(g, Mode::Train);
  CHECK(bn(t.input("x", f32({2, 16, 4, 4}))).shape() == Shape{2, 16, 4, 4});
  CHECK(bn1d(t.input("a", f32({3, 6}))).shape() == Shape{3, 6});
  Value y = ln(t.input("s", f32({2, 5, 6})));
  CHECK(y.shape() == Shape{2, 5, 6});
  CHECK(g.node(*g.findNamed("ln.weight")).type == f32({5, 6}));
  CHECK_THROWS_WITH(bn(t.input("bad", f32({2, 8, 4, 4}))),
                    Catch::Equals("bn1: BatchNorm2d(16) got input f32[2,8,4,4]"));
  CHECK_THROWS_WITH(bn1d(t.input("one", f32({1, 6}))),
                    Catch::Contains("more than 1 value per channel"));
  CHECK_THROWS_WITH(ln(t.input("w", f32({2, 6, 5}))),
                    Catch::Equals("ln: LayerNorm([5,6]) got input f32[2,6,5]"));
}

TEST_CASE("Embedding has PyTorch's weight and maps i32[...] to f32[..., dim]",
          "[frontend][layers][embedding]") {
  Holder root;
  Embedding emb(&root, "emb", 100, 8);
  std::vector<Module::NamedState> s = root.namedStates();
  REQUIRE(s.size() == 1);
  CHECK(s[0].name == "emb.weight");
  CHECK(s[0].decl->type == f32({100, 8}));
  CHECK(s[0].decl->attrs ==
        Attrs{{"init", std::string("normal")}, {"std", 1.0}, {"trainable", true}});
  Graph g;
  Tracer t(g, Mode::Train);
  CHECK(emb(t.input("tokens", {DType::I32, {4, 6}})).type() == f32({4, 6, 8}));
  CHECK(emb(t.input("one", {DType::I32, {}})).type() == f32({8}));
  CHECK_THROWS_WITH(emb(t.input("x", f32({4, 6}))),
                    Catch::Equals("emb: Embedding(100, 8) got input f32[4,6] (expected i32 "
                                  "indices)"));
  CHECK_THROWS_AS(Embedding(nullptr, "", 0, 8), Error);
}
