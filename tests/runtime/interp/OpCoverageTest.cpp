// The per-op matrix of the interpreter: every op of the table gets one evaluated case
// with a hand-computed answer, run through the Interpreter. sampleFor is an exhaustive
// switch over OpKind, so a new op does not compile until it has a case here.
#include "InterpTestUtil.h"

#include "kiln/runtime/interp/Interpreter.h"

using namespace kiln;
using namespace kiln::test;

namespace {

/// A graph whose output "y" applies one op, its arguments and the expected "y".
struct Sample {
  Graph graph{"sample"};
  std::vector<Tensor> inputs, state;
  Shape shape;
  std::vector<double> expected;

  ValueId input(Tensor t) {
    ValueId v = graph.addInput("in" + std::to_string(inputs.size()), t.type());
    inputs.push_back(std::move(t));
    return v;
  }
  void expect(ValueId y, Shape s, std::vector<double> values) {
    graph.addOutput("y", y);
    shape = std::move(s);
    expected = std::move(values);
  }
  /// y = op(operands...) {attrs}
  void apply(OpKind op, std::vector<Tensor> operands, Attrs attrs, Shape s,
             std::vector<double> values) {
    std::vector<ValueId> ids;
    for (Tensor &t : operands)
      ids.push_back(input(std::move(t)));
    expect(graph.add(op, ids, std::move(attrs)), std::move(s), std::move(values));
  }
};

Sample sampleFor(OpKind op) {
  Sample s;
  Tensor x23 = f32({2, 3}, {1, -2, 3, -4, 5, 0.25});
  Tensor nchw = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Attrs pool2{{"window", ints({2, 2})}, {"stride", ints({1, 1})}};
  switch (op) {
  case OpKind::Input:
    s.expect(s.input(f32({2}, {1, 2})), {2}, {1, 2});
    break;
  case OpKind::State: {
    ValueId st = s.graph.addState("s", {DType::F32, {2}});
    s.state.push_back(f32({2}, {3, 4}));
    s.expect(st, {2}, {3, 4});
    break;
  }
  case OpKind::Constant:
    s.expect(s.graph.add(OpKind::Constant, {},
                         {{"dtype", std::string("i32")},
                          {"shape", ints({2})},
                          {"data", std::vector<double>{7, -8}}}),
             {2}, {7, -8});
    break;
  case OpKind::Iota:
    s.expect(
        s.graph.add(OpKind::Iota, {},
                    {{"dtype", std::string("f32")}, {"shape", ints({2, 2})}, {"axis", int64_t(0)}}),
        {2, 2}, {0, 0, 1, 1});
    break;
  case OpKind::RandomUniform:
    // Philox(counter {0,0,0,0}, key {0,0})[0] = 0x6627e8d5; its top 24 bits / 2^24.
    s.apply(op, {i32({}, {0})}, {{"seed", int64_t(0)}, {"shape", ints({1})}}, {1},
            {6694888.0 / 16777216.0});
    break;
  case OpKind::Neg:
    s.apply(op, {x23}, {}, {2, 3}, {-1, 2, -3, 4, -5, -0.25});
    break;
  case OpKind::Exp:
    s.apply(op, {f64({2}, {0, 1})}, {}, {2}, {1, 2.718281828459045});
    break;
  case OpKind::Log:
    s.apply(op, {f64({2}, {1, 0.5})}, {}, {2}, {0, -0.6931471805599453});
    break;
  case OpKind::Sqrt:
    s.apply(op, {f32({2}, {9, 0.25})}, {}, {2}, {3, 0.5});
    break;
  case OpKind::Rsqrt:
    s.apply(op, {f32({2}, {4, 0.25})}, {}, {2}, {0.5, 2});
    break;
  case OpKind::Tanh:
    s.apply(op, {f64({2}, {0, 0.5})}, {}, {2}, {0, 0.46211715726000974});
    break;
  case OpKind::Logistic:
    s.apply(op, {f64({2}, {0, -1})}, {}, {2}, {0.5, 0.2689414213699951});
    break;
  case OpKind::Abs:
    s.apply(op, {x23}, {}, {2, 3}, {1, 2, 3, 4, 5, 0.25});
    break;
  case OpKind::Convert:
    s.apply(op, {x23}, {{"dtype", std::string("i32")}}, {2, 3}, {1, -2, 3, -4, 5, 0});
    break;
  case OpKind::Add:
    s.apply(op, {f32({2}, {1, 2}), f32({2}, {10, 20})}, {}, {2}, {11, 22});
    break;
  case OpKind::Sub:
    s.apply(op, {f32({2}, {1, 2}), f32({2}, {10, 20})}, {}, {2}, {-9, -18});
    break;
  case OpKind::Mul:
    s.apply(op, {i32({2}, {3, -4}), i32({2}, {5, 6})}, {}, {2}, {15, -24});
    break;
  case OpKind::Div:
    s.apply(op, {f64({2}, {1, 9}), f64({2}, {4, -3})}, {}, {2}, {0.25, -3});
    break;
  case OpKind::Max:
    s.apply(op, {x23, f32({2, 3}, {0, 0, 0, 0, 0, 0})}, {}, {2, 3}, {1, 0, 3, 0, 5, 0.25});
    break;
  case OpKind::Min:
    s.apply(op, {x23, f32({2, 3}, {0, 0, 0, 0, 0, 0})}, {}, {2, 3}, {0, -2, 0, -4, 0, 0});
    break;
  case OpKind::Pow:
    s.apply(op, {f32({2}, {2, 4}), f32({2}, {10, -0.5})}, {}, {2}, {1024, 0.5});
    break;
  case OpKind::Compare:
    s.apply(op, {f32({3}, {1, 2, 3}), f32({3}, {2, 2, 2})}, {{"direction", std::string("ge")}}, {3},
            {0, 1, 1});
    break;
  case OpKind::Select:
    s.apply(op, {boolean({2}, {0, 1}), f32({2}, {1, 2}), f32({2}, {3, 4})}, {}, {2}, {3, 2});
    break;
  case OpKind::ReduceSum:
    s.apply(op, {x23}, {{"axes", ints({0})}}, {3}, {-3, 3, 3.25});
    break;
  case OpKind::ReduceMax:
    s.apply(op, {x23}, {{"axes", ints({1})}}, {2}, {3, 5});
    break;
  case OpKind::ReduceMean:
    s.apply(op, {x23}, {{"axes", ints({1})}}, {2}, {2.0 / 3.0, 1.25 / 3.0});
    break;
  case OpKind::Argmax:
    s.apply(op, {x23}, {{"axis", int64_t(1)}}, {2}, {2, 1});
    break;
  case OpKind::Matmul:
    s.apply(op, {x23, f32({2, 2}, {1, 0, 0, 2})}, {{"transpose_a", true}}, {3, 2},
            {1, -8, -2, 10, 3, 0.5});
    break;
  case OpKind::Conv2d:
    s.apply(op, {nchw, f32({1, 1, 2, 2}, {1, 2, 3, 4})}, {}, {1, 1, 2, 2}, {37, 47, 67, 77});
    break;
  case OpKind::Conv2dInputGrad:
    s.apply(op, {f32({1, 1, 2, 2}, {1, 1, 1, 1}), f32({1, 1, 2, 2}, {1, 2, 3, 4})},
            {{"input_size", ints({3, 3})}}, {1, 1, 3, 3}, {1, 3, 2, 4, 10, 6, 3, 7, 4});
    break;
  case OpKind::Conv2dFilterGrad:
    s.apply(op, {nchw, f32({1, 1, 2, 2}, {1, 1, 1, 1})}, {{"kernel", ints({2, 2})}}, {1, 1, 2, 2},
            {12, 16, 24, 28});
    break;
  case OpKind::MaxPool2d:
    s.apply(op, {nchw}, pool2, {1, 1, 2, 2}, {5, 6, 8, 9});
    break;
  case OpKind::MaxPool2dGrad:
    s.apply(op, {nchw, f32({1, 1, 2, 2}, {1, 2, 3, 4})}, pool2, {1, 1, 3, 3},
            {0, 0, 0, 0, 1, 2, 0, 3, 4});
    break;
  case OpKind::AvgPool2d:
    s.apply(op, {nchw}, pool2, {1, 1, 2, 2}, {3, 4, 6, 7});
    break;
  case OpKind::AvgPool2dGrad: {
    Attrs a = pool2;
    a.set("input_size", ints({3, 3}));
    s.apply(op, {f32({1, 1, 2, 2}, {4, 4, 4, 4})}, a, {1, 1, 3, 3}, {1, 2, 1, 2, 4, 2, 1, 2, 1});
    break;
  }
  case OpKind::Reshape:
    s.apply(op, {x23}, {{"shape", ints({3, 2})}}, {3, 2}, {1, -2, 3, -4, 5, 0.25});
    break;
  case OpKind::Transpose:
    s.apply(op, {x23}, {{"perm", ints({1, 0})}}, {3, 2}, {1, -4, -2, 5, 3, 0.25});
    break;
  case OpKind::Broadcast:
    s.apply(op, {f32({2}, {1, 2})}, {{"dims", ints({0})}, {"shape", ints({2, 2})}}, {2, 2},
            {1, 1, 2, 2});
    break;
  case OpKind::Slice:
    s.apply(op, {x23}, {{"start", ints({1, 1})}, {"limit", ints({2, 3})}}, {1, 2}, {5, 0.25});
    break;
  case OpKind::Concat:
    s.apply(op, {f32({1}, {1}), f32({2}, {2, 3})}, {{"axis", int64_t(0)}}, {3}, {1, 2, 3});
    break;
  case OpKind::Pad:
    s.apply(op, {f32({1}, {5})}, {{"low", ints({1})}, {"high", ints({2})}, {"value", 0.5}}, {4},
            {0.5, 5, 0.5, 0.5});
    break;
  case OpKind::OneHot:
    s.apply(op, {i32({2}, {1, 3})}, {{"depth", int64_t(3)}, {"dtype", std::string("f32")}}, {2, 3},
            {0, 1, 0, 0, 0, 0});
    break;
  case OpKind::AllReduce: // one process is a group of one: sum and mean are the operand
    s.apply(op, {x23}, {{"reduction", std::string("mean")}}, {2, 3}, {1, -2, 3, -4, 5, 0.25});
    break;
  }
  return s;
}

} // namespace

TEST_CASE("every op of the table has an evaluated case", "[interp]") {
  for (const OpInfo &info : kOpInfos) {
    INFO("op " << info.mnemonic);
    Sample s = sampleFor(info.kind);
    bool present = false;
    for (const Node &node : s.graph.nodes())
      present = present || node.op == info.kind;
    REQUIRE(present);
    REQUIRE(s.graph.outputs().size() == 1);
    Interpreter::Result r = Interpreter(s.graph).run(s.inputs, s.state);
    checkTensor(r.outputs[0], s.shape, s.expected, 1e-6);
  }
}
