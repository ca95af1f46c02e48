#include "SampleGraphs.h"

#include "kiln/ir/Builder.h"
#include "kiln/ir/OpGroups.h"

#include <cassert>
#include <limits>
#include <string>

namespace kiln::test {

namespace {

using Ints = std::vector<int64_t>;

/// A fresh input of type `type` (inputs get numbered names so examples never collide).
ValueId input(Graph &g, DType dtype, Shape shape) {
  return g.addInput("in" + std::to_string(g.size()), {dtype, std::move(shape)});
}

} // namespace

ValueId addOpExample(Graph &g, OpKind op) {
  const DType f32 = DType::F32;
  switch (op) {
  case OpKind::Input:
    return g.addInput("x" + std::to_string(g.size()), {f32, {2, 3}}, "data/x");
  case OpKind::State:
    return g.addState("w" + std::to_string(g.size()) + ".weight", {f32, {3, 2}},
                      {{"init", std::string("uniform")}, {"bound", 0.0357}}, "fc1");
  case OpKind::Constant:
    return g.add(op, {},
                 {{"dtype", std::string("f32")},
                  {"shape", Ints{2, 2}},
                  {"data", std::vector<double>{0.1, 1e-30, -0.0, 1.0 / 3.0}}});
  case OpKind::Iota:
    return g.add(op, {}, {{"dtype", std::string("i32")}, {"shape", Ints{4, 5}}, {"axis", 1}});
  case OpKind::RandomUniform:
    return g.add(op, {input(g, DType::I32, {})}, {{"seed", int64_t{42}}, {"shape", Ints{2, 3}}},
                 "dropout");
#define ELEMENTWISE(Enum, ...) case OpKind::Enum:
#include "kiln/ir/Ops.def"
    switch (*elementwiseOp(op)) {
    case ElementwiseOp::Convert:
      return g.add(op, {input(g, f32, {2, 3})}, {{"dtype", std::string("f64")}});
    case ElementwiseOp::Compare:
      return g.add(op, {input(g, f32, {2, 3}), input(g, f32, {2, 3})},
                   {{"direction", std::string("lt")}});
    case ElementwiseOp::Select:
      return g.add(op,
                   {input(g, DType::Bool, {2, 3}), input(g, f32, {2, 3}), input(g, f32, {2, 3})});
    default: { // a plain op: f32 operands, unary ones in an activation's scope
      std::vector<ValueId> operands;
      for (int i = 0; i < opInfo(op).arity; ++i)
        operands.push_back(input(g, f32, {2, 3}));
      return g.add(op, operands, {}, operands.size() == 1 ? "act" : "");
    }
    }
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMean:
    return g.add(op, {input(g, f32, {2, 3, 4})}, {{"axes", Ints{0, 2}}}, "loss/mean");
  case OpKind::Argmax:
    return g.add(op, {input(g, f32, {2, 3})}, {{"axis", int64_t{1}}});
  case OpKind::Matmul:
    return g.add(op, {input(g, f32, {2, 3}), input(g, f32, {4, 3})}, {{"transpose_b", true}},
                 "fc1");
  case OpKind::Conv2d:
    return g.add(op, {input(g, f32, {1, 2, 5, 5}), input(g, f32, {4, 2, 3, 3})},
                 {{"padding", Ints{1, 1}}}, "conv1");
  case OpKind::Conv2dInputGrad:
    return g.add(op, {input(g, f32, {1, 4, 5, 5}), input(g, f32, {4, 2, 3, 3})},
                 {{"padding", Ints{1, 1}}, {"input_size", Ints{5, 5}}});
  case OpKind::Conv2dFilterGrad:
    return g.add(op, {input(g, f32, {1, 2, 5, 5}), input(g, f32, {1, 4, 5, 5})},
                 {{"padding", Ints{1, 1}}, {"kernel", Ints{3, 3}}});
  case OpKind::MaxPool2d:
  case OpKind::AvgPool2d:
    return g.add(op, {input(g, f32, {1, 2, 4, 4})}, {{"window", Ints{2, 2}}}, "pool");
  case OpKind::MaxPool2dGrad:
    return g.add(op, {input(g, f32, {1, 2, 4, 4}), input(g, f32, {1, 2, 2, 2})},
                 {{"window", Ints{2, 2}}});
  case OpKind::AvgPool2dGrad:
    return g.add(op, {input(g, f32, {1, 2, 2, 2})},
                 {{"window", Ints{2, 2}}, {"input_size", Ints{4, 4}}});
  case OpKind::Reshape:
    return g.add(op, {input(g, f32, {2, 3})}, {{"shape", Ints{3, 2}}}, "flatten");
  case OpKind::Transpose:
    return g.add(op, {input(g, f32, {2, 3})}, {{"perm", Ints{1, 0}}});
  case OpKind::Broadcast:
    return g.add(op, {input(g, f32, {3})}, {{"dims", Ints{1}}, {"shape", Ints{2, 3}}});
  case OpKind::Slice:
    return g.add(op, {input(g, f32, {2, 5})},
                 {{"start", Ints{0, 1}}, {"limit", Ints{2, 5}}, {"stride", Ints{1, 2}}});
  case OpKind::Concat:
    return g.add(op, {input(g, f32, {2, 3}), input(g, f32, {1, 3}), input(g, f32, {4, 3})},
                 {{"axis", int64_t{0}}});
  case OpKind::Pad:
    return g.add(op, {input(g, f32, {2, 3})},
                 {{"low", Ints{1, 0}},
                  {"high", Ints{0, 2}},
                  {"value", -std::numeric_limits<double>::infinity()}});
  case OpKind::OneHot:
    return g.add(op, {input(g, DType::I32, {4})},
                 {{"depth", int64_t{10}}, {"dtype", std::string("f32")}}, "loss/one_hot");
  case OpKind::AllReduce:
    return g.add(op, {input(g, f32, {3, 2})}, {{"reduction", std::string("mean")}}, "fc1");
  }
  assert(false && "unknown op");
  return -1;
}

Graph allOpsGraph() {
  Graph g("all.ops");
  for (const OpInfo &info : kOpInfos)
    addOpExample(g, info.kind);
  return g;
}

Graph trainStepGraph() {
  Graph g("linreg.train");
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F32, {4, 3}});
  ValueId y = g.addInput("y", {DType::F32, {4, 1}});
  ValueId lr = g.addInput("lr", {DType::F32, {}});
  ValueId w = g.addState("fc.weight", {DType::F32, {1, 3}},
                         {{"init", std::string("uniform")}, {"bound", 0.5773502691896258}}, "fc");
  ValueId pred, loss, grad;
  {
    auto scope = b.enter("fc");
    pred = b.op(OpKind::Matmul, {x, w}, {{"transpose_b", true}});
  }
  {
    auto scope = b.enter("loss");
    ValueId diff = b.sub(pred, y);
    loss = b.op(OpKind::ReduceMean, {b.mul(diff, diff)}, {{"axes", Ints{0, 1}}});
    auto inner = b.enter("grad");
    grad = b.op(OpKind::Matmul, {diff, x}, {{"transpose_a", true}});
  }
  auto scope = b.enter("sgd");
  ValueId step = b.mul(grad, b.broadcast(lr, {1, 3}, {}));
  ValueId updated = b.sub(w, step);
  g.addOutput("loss", loss);
  g.addOutput("prediction", pred);
  g.addUpdate(w, updated);
  return g;
}

} // namespace kiln::test
