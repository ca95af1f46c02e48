// Fused kernels against the interpreter: elementwise chains fused into reductions, cheap
// values recomputed in several users, elementwise epilogues run inside a convolution or
// pooling kernel item by item (with producers whose buffers the epilogue's output must
// not overwrite while other items still read them), and the optimizer's update pattern.
#include "JitTestUtil.h"

#include <catch2/catch.hpp>

using namespace kiln;
using namespace kiln::test;

namespace {

std::vector<int64_t> ints(std::initializer_list<int64_t> v) { return v; }

struct Builder {
  Graph g{"fused"};
  ValueId in(Shape shape, DType dtype = DType::F32) {
    return g.addInput("in" + std::to_string(g.inputs().size()), {dtype, std::move(shape)});
  }
  ValueId op(OpKind kind, std::vector<ValueId> operands, Attrs attrs = {}) {
    return g.add(kind, std::move(operands), std::move(attrs));
  }
  ValueId splat(double value, Shape shape) {
    return op(OpKind::Constant, {},
              {{"dtype", std::string("f32")}, {"shape", std::move(shape)}, {"value", value}});
  }
  ValueId broadcast(ValueId v, std::vector<int64_t> dims, Shape shape) {
    return op(OpKind::Broadcast, {v}, {{"dims", std::move(dims)}, {"shape", std::move(shape)}});
  }
};

void check(Builder &b, const std::string &label, double rtol = 1e-5) {
  checkAgainstInterpreter(b.g, randomArguments(b.g, 11, {}), rtol, label);
}

/// The names of the compiled stage functions ("a+b" when b runs inside a, item by item).
std::vector<std::string> stageNames(const Graph &g) {
  std::string ir = codegen::llvmIr(g, /*optimized=*/false, testJitOptions());
  std::vector<std::string> names;
  for (size_t at = ir.find("define internal void @\""); at != std::string::npos;
       at = ir.find("define internal void @\"", at + 1)) {
    size_t begin = ir.find('"', at) + 1;
    names.push_back(ir.substr(begin, ir.find('"', begin) - begin));
  }
  return names;
}

bool fused(const Graph &g, const std::string &first, const std::string &second) {
  for (const std::string &name : stageNames(g))
    if (name.find(first) != std::string::npos && name.find("+") != std::string::npos &&
        name.find(second, name.find("+")) != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST_CASE("softmax and cross-entropy chains fuse into their reductions", "[jit][fusion]") {
  Builder b;
  Shape s{17, 10};
  ValueId x = b.in(s), y = b.in({17}, DType::I32);
  ValueId max = b.op(OpKind::ReduceMax, {x}, {{"axes", ints({1})}});
  ValueId shifted = b.op(OpKind::Sub, {x, b.broadcast(max, {0}, s)});
  ValueId e = b.op(OpKind::Exp, {shifted});
  ValueId sum = b.op(OpKind::ReduceSum, {e}, {{"axes", ints({1})}});
  ValueId logp = b.op(OpKind::Sub, {shifted, b.broadcast(b.op(OpKind::Log, {sum}), {0}, s)});
  ValueId hot = b.op(OpKind::OneHot, {y}, {{"depth", int64_t(10)}, {"dtype", std::string("f32")}});
  ValueId nll =
      b.op(OpKind::ReduceMean, {b.op(OpKind::Mul, {logp, hot})}, {{"axes", ints({0, 1})}});
  b.g.addOutput("loss", b.op(OpKind::Neg, {nll}));
  b.g.addOutput("p", b.op(OpKind::Div, {e, b.broadcast(sum, {0}, s)}));
  check(b, "softmax / cross-entropy", 2e-6);
}

TEST_CASE("a convolution runs bias and relu as its epilogue", "[jit][fusion]") {
  // x is an arena buffer as large as the result, last read by the convolution: the
  // epilogue's output must not take its place while later images still read it.
  for (int64_t groups : {1, 2}) {
    Builder b;
    Shape s{8, 6, 14, 14};
    ValueId x = b.op(OpKind::Exp, {b.in(s)});
    ValueId w = b.in({6, 6 / groups, 3, 3}), bias = b.in({6});
    ValueId c = b.op(OpKind::Conv2d, {x, w}, {{"padding", ints({1, 1})}, {"groups", groups}});
    ValueId biased = b.op(OpKind::Add, {c, b.broadcast(bias, {1}, s)});
    ValueId relu = b.op(OpKind::Max, {biased, b.splat(0.0, s)}); // read twice: an arena buffer
    b.g.addOutput("y", b.op(OpKind::ReduceSum, {relu}, {{"axes", ints({0, 2, 3})}}));
    b.g.addOutput("pooled", b.op(OpKind::MaxPool2d, {relu}, {{"window", ints({2, 2})}}));
    check(b, "conv2d + bias + relu, groups " + std::to_string(groups), 2e-5);
    CHECK(fused(b.g, "conv2d", "max") == (groups == 1)); // grouped items are not contiguous
  }
}

TEST_CASE("a pooling gradient runs the relu gradient as its epilogue", "[jit][fusion]") {
  // Overlapping windows make dy (an arena buffer last read by the pooling gradient)
  // about as large as the result, and 64 planes of 28 x 28 make several work items.
  Builder b;
  Shape big{8, 8, 28, 28}, small{8, 8, 26, 26};
  ValueId a = b.op(OpKind::Tanh, {b.in(big)});
  ValueId dy = b.op(OpKind::Neg, {b.in(small)});
  ValueId relu = b.op(OpKind::Max, {a, b.splat(0.0, big)});
  Attrs window{{"window", ints({3, 3})}, {"stride", ints({1, 1})}};
  ValueId grad = b.op(OpKind::MaxPool2dGrad, {relu, dy}, window);
  ValueId mask =
      b.op(OpKind::Compare, {relu, b.splat(0.0, big)}, {{"direction", std::string("gt")}});
  ValueId dx = b.op(OpKind::Select, {mask, grad, b.splat(0.0, big)}); // read twice: arena
  b.g.addOutput("dx", b.op(OpKind::Mul, {dx, b.in(big)}));
  b.g.addOutput("sum", b.op(OpKind::ReduceSum, {dx}, {{"axes", ints({0, 1})}}));
  b.g.addOutput("pooled", b.op(OpKind::MaxPool2d, {relu}, window));
  check(b, "max_pool2d_grad + relu gradient", 2e-6);
  CHECK(fused(b.g, "max_pool2d_grad", "")); // the select (recomputed) and mul run inside it
}

TEST_CASE("the Adam update of a parameter agrees", "[jit][fusion]") {
  Builder b;
  Shape s{31, 17};
  ValueId p = b.g.addState("p", {DType::F32, s}), m = b.g.addState("m", {DType::F32, s});
  ValueId v = b.g.addState("v", {DType::F32, s}), g = b.in(s), lr = b.in({});
  auto scalar = [&](double x) { return b.splat(x, s); };
  ValueId m2 =
      b.op(OpKind::Add, {b.op(OpKind::Mul, {m, scalar(0.9)}), b.op(OpKind::Mul, {g, scalar(0.1)})});
  ValueId v2 = b.op(OpKind::Add, {b.op(OpKind::Mul, {v, scalar(0.999)}),
                                  b.op(OpKind::Mul, {b.op(OpKind::Mul, {g, g}), scalar(0.001)})});
  ValueId denom = b.op(OpKind::Add, {b.op(OpKind::Sqrt, {b.op(OpKind::Abs, {v2})}), scalar(1e-8)});
  ValueId step = b.op(OpKind::Mul, {b.broadcast(lr, {}, s), b.op(OpKind::Div, {m2, denom})});
  b.g.addUpdate(p, b.op(OpKind::Sub, {p, step}));
  b.g.addUpdate(m, m2);
  b.g.addUpdate(v, v2);
  check(b, "adam", 1e-6);
}
