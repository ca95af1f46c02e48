// The Interpreter: running whole graphs, releasing intermediates, and checking its
// arguments.
#include "InterpTestUtil.h"

#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"
#include "kiln/runtime/interp/Interpreter.h"

using namespace kiln;
using namespace kiln::test;

namespace {
/// A one-layer training step: y = relu(x w^T + b), loss = mean(y^2), w <- w - lr * dloss/dw
/// written by hand, plus the step counter update.
struct TinyStep {
  Graph g{"tiny.train"};
  ValueId x, lr, w, b, step, y, loss;

  TinyStep() {
    IRBuilder ir(g);
    x = g.addInput("x", {DType::F32, {2, 3}});
    lr = g.addInput("lr", {DType::F32, {}});
    w = g.addState("w", {DType::F32, {2, 3}});
    b = g.addState("b", {DType::F32, {2}});
    step = g.addState("step", {DType::I32, {}});
    ValueId z = ir.add(ir.op(OpKind::Matmul, {x, w}, {{"transpose_b", true}}),
                       ir.broadcast(b, {2, 2}, {1}));
    y = ir.op(OpKind::Max, {z, ir.constantLike(0.0, z)});
    loss = ir.op(OpKind::ReduceMean, {ir.mul(y, y)}, {{"axes", ints({0, 1})}});
    // dloss/dz = 2 y / 4 (zero where relu is off, since y is 0 there); dw = dz^T x
    ValueId dz = ir.mul(y, ir.constantLike(0.5, y));
    ValueId dw = ir.op(OpKind::Matmul, {dz, x}, {{"transpose_a", true}});
    ValueId newW = ir.sub(w, ir.mul(ir.broadcast(lr, {2, 3}, {}), dw));
    ValueId newStep = ir.add(step, ir.constant(1, DType::I32));
    g.addOutput("loss", loss);
    g.addOutput("y", y);
    g.addUpdate(w, newW);
    g.addUpdate(step, newStep);
  }
  std::vector<Tensor> inputs() const { return {f32({2, 3}, {1, 2, 3, -1, 0, 1}), f32({}, {0.1})}; }
  std::vector<Tensor> state() const {
    return {f32({2, 3}, {1, 0, 0, 0, 1, -1}), f32({2}, {0.5, 0}), i32({}, {41})};
  }
};
} // namespace

TEST_CASE("the interpreter runs a training step", "[interp]") {
  TinyStep t;
  Interpreter interp(t.g);
  Interpreter::Result r = interp.run(t.inputs(), t.state());
  REQUIRE(r.outputs.size() == 2);
  REQUIRE(r.updates.size() == 2);
  // z = x w^T + b = [[1.5, -1], [-0.5, -1]]; y = relu(z) = [[1.5, 0], [0, 0]]
  checkTensor(r.outputs[1], {2, 2}, {1.5, 0, 0, 0});
  checkTensor(r.outputs[0], {}, {2.25 / 4});
  // dz = [[0.75, 0], [0, 0]]; dw = dz^T x = [[0.75, 1.5, 2.25], [0, 0, 0]]
  checkTensor(r.updates[0], {2, 3}, {1 - 0.075, -0.15, -0.225, 0, 1, -1});
  checkTensor(r.updates[1], {}, {42});
}

TEST_CASE("run and runAll agree, and runAll keeps every value", "[interp]") {
  TinyStep t;
  Interpreter interp(t.g);
  Interpreter::Result r = interp.run(t.inputs(), t.state());
  std::vector<Tensor> all = interp.runAll(t.inputs(), t.state());
  REQUIRE(all.size() == t.g.size());
  for (size_t i = 0; i < all.size(); ++i) {
    INFO("value " << i);
    CHECK(all[i].defined());
    CHECK(all[i].type() == t.g.type(static_cast<ValueId>(i)));
  }
  for (size_t i = 0; i < t.g.outputs().size(); ++i)
    checkClose(r.outputs[i], all[t.g.outputs()[i].value], 0);
  for (size_t i = 0; i < t.g.updates().size(); ++i)
    checkClose(r.updates[i], all[t.g.updates()[i].value], 0);
}

TEST_CASE("run releases intermediates after their last use", "[interp]") {
  // A chain of 50 elementwise ops on 1000 floats, with the input also read at the end.
  Graph g("chain");
  IRBuilder ir(g);
  ValueId x = g.addInput("x", {DType::F32, {1000}});
  ValueId v = x;
  for (int i = 0; i < 50; ++i)
    v = ir.op(OpKind::Tanh, {v});
  ValueId last = ir.add(v, x);
  g.addOutput("y", last);
  Tensor input = randomTensor({DType::F32, {1000}}, 1);

  Interpreter interp(g);
  Interpreter::RunStats stats;
  Interpreter::Result r = interp.run({&input, 1}, {}, stats);
  const size_t bytes = 4000;
  CHECK(stats.totalBytes == 52 * bytes);
  // At any moment: the input (read at the end), the previous value and the new one.
  CHECK(stats.peakLiveBytes == 3 * bytes);
  checkClose(r.outputs[0], interp.runAll({&input, 1}, {})[last], 0);
}

TEST_CASE("run keeps outputs and updates alive, and drops unused values", "[interp]") {
  Graph g("keep");
  IRBuilder ir(g);
  ValueId x = g.addInput("x", {DType::F64, {100}});
  ValueId s = g.addState("s", {DType::F64, {100}});
  ValueId early = ir.neg(x);                // an output computed first
  ir.exp(x);                                // dead: never read
  ValueId upd = ir.add(early, s);           // an update
  ValueId out = ir.mul(ir.exp(upd), early); // reads early late
  g.addOutput("early", early);
  g.addOutput("out", out);
  g.addUpdate(s, upd);
  Tensor xv = randomTensor({DType::F64, {100}}, 2), sv = randomTensor({DType::F64, {100}}, 3);
  Interpreter interp(g);
  Interpreter::RunStats stats;
  Interpreter::Result r = interp.run({&xv, 1}, {&sv, 1}, stats);
  std::vector<Tensor> all = interp.runAll({&xv, 1}, {&sv, 1});
  checkClose(r.outputs[0], all[early], 0);
  checkClose(r.outputs[1], all[out], 0);
  checkClose(r.updates[0], all[upd], 0);
  CHECK(stats.totalBytes == 7 * 800);
  CHECK(stats.peakLiveBytes < stats.totalBytes);
}

TEST_CASE("run names the argument whose type does not match", "[interp]") {
  TinyStep t;
  Interpreter interp(t.g);
  std::vector<Tensor> inputs = t.inputs(), state = t.state();
  SECTION("input shape") {
    inputs[0] = f32({2, 2}, {1, 2, 3, 4});
    CHECK_THROWS_WITH(interp.run(inputs, state), Catch::Contains("input 'x'") &&
                                                     Catch::Contains("expects f32[2,3]") &&
                                                     Catch::Contains("got f32[2,2]"));
  }
  SECTION("input dtype") {
    inputs[1] = f64({}, {0.1});
    CHECK_THROWS_WITH(interp.runAll(inputs, state),
                      Catch::Contains("input 'lr'") && Catch::Contains("got f64[]"));
  }
  SECTION("state dtype") {
    state[2] = f32({}, {41});
    CHECK_THROWS_WITH(interp.run(inputs, state),
                      Catch::Contains("state 'step'") && Catch::Contains("expects i32[]"));
  }
  SECTION("argument counts") {
    inputs.pop_back();
    CHECK_THROWS_WITH(interp.run(inputs, state), Catch::Contains("has 2 inputs, got 1"));
    CHECK_THROWS_AS(interp.run(t.inputs(), {}), Error);
  }
  SECTION("an empty tensor") {
    state[0] = Tensor();
    CHECK_THROWS_WITH(interp.run(inputs, state), Catch::Contains("state 'w'"));
  }
}

TEST_CASE("evalNode rejects operands that do not fit the node", "[interp]") {
  Node add{OpKind::Add, {0, 1}, {}, {DType::F32, {2}}, "", "layer"};
  std::vector<Tensor> ok{f32({2}, {1, 2}), f32({2}, {3, 4})};
  checkTensor(evalNode(add, ok), {2}, {4, 6});
  std::vector<Tensor> bad{f32({2}, {1, 2}), f32({3}, {3, 4, 5})};
  CHECK_THROWS_WITH(evalNode(add, bad), Catch::Contains("layer: add(f32[2], f32[3])") &&
                                            Catch::Contains("operand types differ"));
  std::vector<Tensor> other{f64({2}, {1, 2}), f64({2}, {3, 4})};
  CHECK_THROWS_WITH(evalNode(add, other), Catch::Contains("operands give f64[2]"));
  CHECK_THROWS_WITH(evalNode(add, std::vector<Tensor>{ok[0]}),
                    Catch::Contains("expects 2 operands"));
  Node input{OpKind::Input, {}, {}, {DType::F32, {2}}, "x", ""};
  CHECK_THROWS_WITH(evalNode(input, {}), Catch::Contains("input 'x' has no kernel"));
}
