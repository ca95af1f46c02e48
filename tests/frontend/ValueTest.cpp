// kiln::Value: broadcasting arithmetic, shape operations and their errors, and the
// scopes functional ops get.
#include "kiln/frontend/Frontend.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <set>

using namespace kiln;

namespace {
Type f32(Shape s) { return {DType::F32, std::move(s)}; }
} // namespace

TEST_CASE("binary ops broadcast numpy-style through explicit broadcast nodes",
          "[frontend][value]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  Value a = t.input("a", f32({4, 1, 3}));
  Value b = t.input("b", f32({5, 1}));
  Value c = a + b;
  CHECK(c.type() == f32({4, 5, 3}));
  const Node &add = g.node(c.id());
  CHECK(add.op == OpKind::Add);
  for (ValueId operand : add.operands) {
    CHECK(g.node(operand).op == OpKind::Broadcast);
    CHECK(g.type(operand) == f32({4, 5, 3}));
  }
  CHECK(g.node(add.operands[1]).attrs.getInts("dims") == std::vector<int64_t>{1, 2});
  // Equal shapes need no broadcast.
  Value d = a * a;
  CHECK(g.node(d.id()).operands == std::vector<ValueId>{a.id(), a.id()});
  CHECK_THROWS_WITH(a + t.input("e", f32({2})),
                    Catch::Contains("cannot broadcast f32[4,1,3] with f32[2]"));
  CHECK_THROWS_WITH(a + t.input("i", {DType::I32, {4, 1, 3}}),
                    Catch::Contains("element types differ"));
}

TEST_CASE("scalars combine with values on either side", "[frontend][value]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({2, 3}));
  Value y = 1.0 - x;
  const Node &sub = g.node(y.id());
  CHECK(sub.op == OpKind::Sub);
  CHECK(sub.operands[1] == x.id());
  const Node &k = g.node(g.node(sub.operands[0]).operands[0]);
  CHECK(k.op == OpKind::Constant);
  CHECK(k.attrs.getFloat("value") == 1.0);
  CHECK((x * 2.0).type() == f32({2, 3}));
  CHECK((x / 4.0).type() == f32({2, 3}));
  CHECK(g.node((-x).id()).op == OpKind::Neg);
}

TEST_CASE("view infers one -1 and rejects a wrong element count", "[frontend][value]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({64, 64, 7, 7}));
  CHECK(x.view({-1, 64 * 7 * 7}).shape() == Shape{64, 3136});
  CHECK(x.reshape({64, -1}).shape() == Shape{64, 3136});
  CHECK_THROWS_WITH(x.view({-1, 3137}), Catch::Contains("view [-1,3137] of f32[64,64,7,7]") &&
                                            Catch::Contains("200704 elements"));
  CHECK_THROWS_WITH(x.view({10, 10}), Catch::Contains("cannot be viewed as 100"));
  CHECK_THROWS_WITH(x.view({-1, -1}), Catch::Contains("only one dimension can be -1"));
}

TEST_CASE("shape operations", "[frontend][value]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({2, 3, 4}));
  CHECK(x.transpose(0, 2).shape() == Shape{4, 3, 2});
  CHECK(x.permute({1, 2, 0}).shape() == Shape{3, 4, 2});
  CHECK(x.flatten(1).shape() == Shape{2, 12});
  CHECK(x.flatten().shape() == Shape{24});
  CHECK(x.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(x.unsqueeze(0).squeeze(0).shape() == Shape{2, 3, 4});
  CHECK(x.slice(2, 1, 3).shape() == Shape{2, 3, 2});
  CHECK(x.slice(-1, -3, 100, 2).shape() == Shape{2, 3, 2});
  CHECK(x.slice(1, 0, 3).id() == x.id());
  std::vector<Value> parts = x.chunk(2, 2);
  REQUIRE(parts.size() == 2);
  CHECK(parts[1].shape() == Shape{2, 3, 2});
  CHECK(g.node(parts[1].id()).attrs.getInts("start") == std::vector<int64_t>{0, 0, 2});
  CHECK(cat(parts, -1).shape() == Shape{2, 3, 4});
  CHECK(stack({x, x}, 1).shape() == Shape{2, 2, 3, 4});
  CHECK(x.expand({5, 2, 3, 4}).shape() == Shape{5, 2, 3, 4});
  CHECK(x.to(DType::F64).dtype() == DType::F64);
  CHECK(x.argmax(-1).type() == Type{DType::I32, {2, 3}});
  CHECK_THROWS_WITH(x.chunk(3, 2), Catch::Contains("into 3 equal chunks"));
  CHECK_THROWS_WITH(x.transpose(0, 3), Catch::Contains("axis 3 out of range for rank 3"));
  CHECK_THROWS_WITH(x.squeeze(0), Catch::Contains("its size is not 1"));
}

TEST_CASE("reductions over axes, with keepdim and over everything", "[frontend][value]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({2, 3, 4}));
  CHECK(x.sum({1}).shape() == Shape{2, 4});
  CHECK(x.mean({-1}, /*keepdim=*/true).shape() == Shape{2, 3, 1});
  CHECK(x.max({0, 2}).shape() == Shape{3});
  CHECK(x.sum().shape() == Shape{});
  CHECK(g.node(x.mean().id()).attrs.getInts("axes") == std::vector<int64_t>{0, 1, 2});
  CHECK(g.node(x.max({2, 0}).id()).attrs.getInts("axes") == std::vector<int64_t>{0, 2});
  CHECK_THROWS_WITH(x.sum({1, -2}), Catch::Contains("axis repeated"));
  Value i = t.input("i", {DType::I32, {3}});
  CHECK_THROWS_WITH(i.mean(), Catch::Contains("needs a float type"));
}

TEST_CASE("matmul and elementwise math", "[frontend][value]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  Value a = t.input("a", f32({8, 3, 4}));
  Value b = t.input("b", f32({8, 5, 4}));
  CHECK(matmul(a, b, false, true).shape() == Shape{8, 3, 5});
  CHECK_THROWS_WITH(matmul(a, b), Catch::Contains("contraction sizes differ: 4 vs 5"));
  CHECK(g.node(exp(a).id()).op == OpKind::Exp);
  CHECK(g.node(log(a).id()).op == OpKind::Log);
  CHECK(g.node(sqrt(a).id()).op == OpKind::Sqrt);
  CHECK(g.node(pow(a, 2.0).id()).op == OpKind::Pow);
  CHECK(g.node(maximum(a, t.input("s", f32({}))).id()).op == OpKind::Max);
  Value cond = t.input("c", {DType::Bool, {4}});
  CHECK(where(cond, a, 0.0 * a).shape() == Shape{8, 3, 4});
}

TEST_CASE("functions on a layer's output are scoped under that layer", "[frontend][value]") {
  struct Net : Module {
    using Module::Module;
    Linear fc1{this, "fc1", 4, 3};
    Value forward(Value x) override { return softmax(relu(fc1(x)) * 2.0); }
  } net;
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({2, 4}));
  Value y = net(x);
  CHECK(g.node(y.id()).scope == "fc1/softmax");
  std::set<std::string> scopes;
  for (const Node &n : g.nodes())
    scopes.insert(n.scope);
  CHECK(scopes == std::set<std::string>{"input", "fc1", "fc1/relu", "fc1/mul", "fc1/softmax"});
  // A function of a raw input is scoped by the function alone.
  CHECK(g.node(tanh(x).id()).scope == "tanh");
}
