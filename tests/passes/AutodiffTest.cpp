// Reverse-mode autodiff: results on the interpreter, the shape of the gradient graph
// (which nodes exist, their scopes) and the errors. The rule of every op is checked
// against central differences in tests/runtime/gradcheck.
#include "kiln/passes/Autodiff.h"
#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"
#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace kiln;

namespace {

Tensor tensorOf(Type type, const std::vector<double> &values) {
  Tensor t(std::move(type));
  REQUIRE(static_cast<int64_t>(values.size()) == t.numElements());
  for (size_t i = 0; i < values.size(); ++i)
    t.set(static_cast<int64_t>(i), values[i]);
  return t;
}

std::vector<double> valuesOf(const Tensor &t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.numElements(); ++i)
    out.push_back(t.at(i));
  return out;
}

/// Runs the graph with the given inputs (in declaration order, no state) and returns
/// every value.
std::vector<Tensor> runAll(const Graph &g, const std::vector<Tensor> &inputs) {
  return Interpreter(g).runAll(inputs, {});
}

ValueId sumAll(IRBuilder &b, ValueId v) {
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < b.type(v).rank(); ++i)
    axes.push_back(i);
  return b.reduceSum(v, axes);
}

} // namespace

TEST_CASE("the tutorial example: d/dx sum(x^2) at [1,2,3] is [2,4,6]", "[passes][autodiff]") {
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {3}});
  ValueId y = sumAll(b, b.op(OpKind::Pow, {x, b.constant(2.0, DType::F32, {3})}));
  std::vector<ValueId> grads = differentiate(g, y, {x});
  REQUIRE(grads.size() == 1);
  CHECK(g.type(grads[0]) == g.type(x));
  std::vector<Tensor> values = runAll(g, {tensorOf({DType::F32, {3}}, {1, 2, 3})});
  CHECK(values[static_cast<size_t>(y)].at(0) == 14.0);
  CHECK(valuesOf(values[static_cast<size_t>(grads[0])]) == std::vector<double>{2, 4, 6});
}

TEST_CASE("fan-out contributions are summed", "[passes][autodiff]") {
  // L = sum(x*x + exp(x)): x is read three times; dL/dx = 2x + exp(x).
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F64, {2}});
  ValueId y = sumAll(b, b.add(b.mul(x, x), b.exp(x)));
  size_t before = g.size();
  ValueId dx = differentiate(g, y, {x})[0];
  size_t adds = 0;
  for (size_t i = before; i < g.size(); ++i)
    adds += g.nodes()[i].op == OpKind::Add;
  CHECK(adds == 2); // three contributions, two sums
  std::vector<Tensor> values = runAll(g, {tensorOf({DType::F64, {2}}, {0.5, -1.0})});
  const Tensor &grad = values[static_cast<size_t>(dx)];
  CHECK(grad.at(0) == Approx(2 * 0.5 + std::exp(0.5)));
  CHECK(grad.at(1) == Approx(2 * -1.0 + std::exp(-1.0)));
}

TEST_CASE("a bias gradient flows back through its broadcast as reduce_sum", "[passes][autodiff]") {
  // h = x + broadcast(bias), L = sum(h * h): dL/dbias_j = sum_i 2 h_ij.
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {2, 3}});
  ValueId bias = g.addState("bias", {DType::F32, {3}});
  ValueId h;
  {
    auto scope = b.enter("fc");
    h = b.add(x, b.broadcast(bias, {2, 3}, {1}));
  }
  ValueId loss = sumAll(b, b.mul(h, h));
  size_t before = g.size();
  ValueId db = differentiate(g, loss, {bias})[0];
  CHECK(g.node(db).op == OpKind::ReduceSum);
  CHECK(g.node(db).attrs.getInts("axes") == std::vector<int64_t>{0});
  CHECK(g.node(db).scope == "fc/grad");
  for (size_t i = before; i < g.size(); ++i)
    CHECK_THAT(g.nodes()[i].scope, Catch::EndsWith("grad"));

  Tensor xs = tensorOf({DType::F32, {2, 3}}, {1, 2, 3, 4, 5, 6});
  Tensor bs = tensorOf({DType::F32, {3}}, {0.5, -1, 2});
  std::vector<Tensor> inputs{xs}, state{bs};
  std::vector<Tensor> values = Interpreter(g).runAll(inputs, state);
  // h = [[1.5, 1, 5], [4.5, 4, 8]]
  CHECK(valuesOf(values[static_cast<size_t>(db)]) == std::vector<double>{12, 10, 26});
}

TEST_CASE("a value the loss does not depend on gets zeros of its type", "[passes][autodiff]") {
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {3}});
  ValueId unused = g.addState("unused", {DType::F64, {2, 2}});
  ValueId gate = g.addInput("gate", {DType::F32, {3}});
  // The loss reads `gate` only through a comparison: no gradient reaches it.
  ValueId zero = b.constant(0.0, DType::F32, {3});
  ValueId y = sumAll(b, b.select(b.compare(gate, zero, "gt"), x, zero));
  std::vector<ValueId> grads = differentiate(g, y, {unused, gate, x});
  CHECK(g.type(grads[0]) == Type{DType::F64, {2, 2}});
  CHECK(g.type(grads[1]) == Type{DType::F32, {3}});
  Tensor ones = tensorOf({DType::F32, {3}}, {1, 1, 1});
  Tensor gates = tensorOf({DType::F32, {3}}, {1, -1, 2});
  std::vector<Tensor> inputs{ones, gates}, state{Tensor({DType::F64, {2, 2}})};
  std::vector<Tensor> values = Interpreter(g).runAll(inputs, state);
  CHECK(valuesOf(values[static_cast<size_t>(grads[0])]) == std::vector<double>{0, 0, 0, 0});
  CHECK(valuesOf(values[static_cast<size_t>(grads[1])]) == std::vector<double>{0, 0, 0});
  CHECK(valuesOf(values[static_cast<size_t>(grads[2])]) == std::vector<double>{1, 0, 1});
}

TEST_CASE("a frozen parameter not in wrt gets no gradient nodes", "[passes][autodiff]") {
  // L = sum((x w1) w2) with w1 frozen: the only nodes needed for dL/dw2 are the seed,
  // its broadcast back through reduce_sum, and dL/dw2 = (x w1)^T dY.
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {4, 3}});
  ValueId w1 = g.addState("w1", {DType::F32, {3, 5}});
  ValueId w2 = g.addState("w2", {DType::F32, {5, 2}});
  ValueId h = b.op(OpKind::Matmul, {x, w1});
  ValueId loss = sumAll(b, b.op(OpKind::Matmul, {h, w2}));

  Graph both = g;
  size_t before = g.size();
  ValueId dw2 = differentiate(g, loss, {w2})[0];
  CHECK(g.size() - before == 3);
  CHECK(g.node(dw2).op == OpKind::Matmul);
  CHECK(g.node(dw2).operands[0] == h);
  for (size_t i = before; i < g.size(); ++i)
    for (ValueId operand : g.nodes()[i].operands)
      CHECK(operand != w1);

  differentiate(both, loss, {w1, w2});
  CHECK(both.size() - before == 5); // plus dH = dY w2^T and dL/dw1 = x^T dH
}

TEST_CASE("relu = max(x, 0) has gradient 0 at x == 0", "[passes][autodiff]") {
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {3}});
  ValueId y = sumAll(b, b.op(OpKind::Max, {x, b.constant(0.0, DType::F32, {3})}));
  ValueId dx = differentiate(g, y, {x})[0];
  std::vector<Tensor> values = runAll(g, {tensorOf({DType::F32, {3}}, {-1, 0, 2})});
  CHECK(valuesOf(values[static_cast<size_t>(dx)]) == std::vector<double>{0, 0, 1});
}

TEST_CASE("tied maxima of reduce_max share the gradient", "[passes][autodiff]") {
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F64, {2, 4}});
  ValueId m = b.op(OpKind::ReduceMax, {x}, {{"axes", std::vector<int64_t>{1}}});
  ValueId y = sumAll(b, b.mul(m, g.addInput("w", {DType::F64, {2}})));
  ValueId dx = differentiate(g, y, {x})[0];
  std::vector<Tensor> values = runAll(g, {tensorOf({DType::F64, {2, 4}}, {1, 3, 3, 2, 7, 7, 7, 0}),
                                          tensorOf({DType::F64, {2}}, {1, 3})});
  CHECK(valuesOf(values[static_cast<size_t>(dx)]) ==
        std::vector<double>{0, 0.5, 0.5, 0, 1, 1, 1, 0});
}

TEST_CASE("the max_pool2d_grad gather is the exact adjoint, ties and padding included",
          "[passes][autodiff]") {
  // <max_pool2d_grad(x, dy), dz> = <dy, gather(x, dz)> must hold for every dy and dz,
  // also when windows tie (integer-valued x) and overlap and padding is involved.
  Graph g;
  IRBuilder b(g);
  Shape xs{1, 2, 5, 5};
  ValueId x = g.addInput("x", {DType::F64, xs});
  Attrs pool{{"window", std::vector<int64_t>{3, 3}},
             {"stride", std::vector<int64_t>{2, 2}},
             {"padding", std::vector<int64_t>{1, 1}}};
  ValueId dy = g.addInput("dy", {DType::F64, {1, 2, 3, 3}});
  ValueId dz = g.addInput("dz", {DType::F64, xs});
  ValueId routed = b.op(OpKind::MaxPool2dGrad, {x, dy}, pool);
  ValueId inner = sumAll(b, b.mul(routed, dz));
  ValueId gathered = differentiate(g, inner, {dy})[0];

  std::vector<double> xv, dyv, dzv;
  for (int i = 0; i < 50; ++i) {
    xv.push_back((i * 7) % 3);
    dzv.push_back(0.25 * ((i * 5) % 11) - 1);
  }
  for (int i = 0; i < 18; ++i)
    dyv.push_back(0.5 * ((i * 3) % 7) - 1);
  std::vector<Tensor> values =
      runAll(g, {tensorOf({DType::F64, xs}, xv), tensorOf({DType::F64, {1, 2, 3, 3}}, dyv),
                 tensorOf({DType::F64, xs}, dzv)});
  double rhs = 0;
  for (int i = 0; i < 18; ++i)
    rhs += dyv[static_cast<size_t>(i)] * values[static_cast<size_t>(gathered)].at(i);
  CHECK(values[static_cast<size_t>(inner)].at(0) == Approx(rhs).epsilon(1e-12));
}

TEST_CASE("the loss must be a float scalar", "[passes][autodiff]") {
  Graph g;
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {3}});
  ValueId y = b.exp(x);
  CHECK_THROWS_AS(differentiate(g, y, {x}), Error);
  CHECK_THROWS_WITH(differentiate(g, y, {x}), Catch::Contains("the loss must be a float scalar") &&
                                                  Catch::Contains("f32[3]"));
  ValueId n = g.addInput("n", {DType::I32, {}});
  CHECK_THROWS_WITH(differentiate(g, n, {x}), Catch::Contains("got i32[]"));
  ValueId s = sumAll(b, y);
  CHECK_THROWS_WITH(differentiate(g, s, {n}),
                    Catch::Contains("cannot differentiate with respect to i32[] value 'n'"));
  CHECK_THROWS_AS(differentiate(g, 1000, {x}), Error);
}
