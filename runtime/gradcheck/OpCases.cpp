// Gradient-check cases per op. Shapes mix the awkward sizes 1, 3 and 17; windowed ops
// use strides, padding, dilation and groups; values avoid the points where an op is not
// differentiable (ties of max/min/reduce_max/max_pool2d, abs at 0, log/sqrt/pow at or
// below 0, division by ~0).
#include "kiln/runtime/gradcheck/OpCases.h"

#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/OpGroups.h"
#include "kiln/ir/ShapeRules.h"

#include <fmt/format.h>

namespace kiln::gradcheck {

namespace {

using Ints = std::vector<int64_t>;

/// Builds one case: declares the operands, applies the op, weights and sums the result.
class CaseBuilder {
public:
  explicit CaseBuilder(Sampler &rng) : graph_("gradcheck"), ir_(graph_), rng_(rng) {}

  Sampler &rng() { return rng_; }
  IRBuilder &ir() { return ir_; }

  /// An input holding `value`; float operands are checked (in wrt) unless told not to.
  ValueId operand(Tensor value, bool checked = true) {
    ValueId v = graph_.addInput(fmt::format("in{}", graph_.inputs().size()), value.type());
    if (checked && isFloat(value.dtype()))
      wrt_.push_back(v);
    values_[v] = std::move(value);
    operands_.push_back(v);
    return v;
  }
  ValueId uniform(const Shape &shape) { return operand(rng_.uniform(shape)); }

  /// Finishes with y = op(operands) {attrs}.
  OpCase finish(OpKind op, const Attrs &attrs) {
    std::string attrText = formatAttrs(attrs);
    ValueId y = ir_.op(op, operands_, attrs);
    return finishWith(y, std::string(mnemonic(op)) + (attrText.empty() ? "" : " " + attrText));
  }

  /// Finishes with an arbitrary result y: loss = sum(y * weights), random weights so
  /// every output element is checked with its own sensitivity. `dyadicWeights` keeps
  /// them exact in f32.
  OpCase finishWith(ValueId y, std::string label, bool dyadicWeights = false) {
    std::string shapes;
    for (ValueId v : operands_)
      shapes += (shapes.empty() ? "" : ", ") + graph_.type(v).str();
    Shape shape = graph_.type(y).shape;
    ValueId weights = graph_.addInput("weights", {DType::F64, shape});
    values_[weights] = dyadicWeights ? rng_.dyadic(shape) : rng_.uniform(shape);
    Ints axes;
    for (size_t i = 0; i < shape.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
    ValueId loss = ir_.reduceSum(ir_.mul(y, weights), axes);
    graph_.addOutput("loss", loss);
    return OpCase{std::move(label), std::move(shapes),  std::move(graph_), loss,
                  std::move(wrt_),  std::move(values_), kGradCheckStep};
  }

private:
  Graph graph_;
  IRBuilder ir_;
  Sampler &rng_;
  std::vector<ValueId> operands_, wrt_;
  GradCheckValues values_;
};

struct ConvConfig {
  Shape x, w;
  Attrs attrs;
};

std::vector<ConvConfig> convConfigs() {
  return {
      {{2, 3, 7, 6}, {4, 3, 3, 3}, {}},
      {{1, 2, 8, 9},
       {3, 2, 3, 2},
       {{"stride", Ints{2, 1}}, {"padding", Ints{1, 2}}, {"dilation", Ints{1, 2}}}},
      {{2, 4, 5, 5},
       {6, 2, 3, 3},
       {{"groups", int64_t(2)}, {"stride", Ints{2, 2}}, {"padding", Ints{1, 1}}}},
      {{1, 3, 7, 7}, {2, 3, 1, 1}, {{"stride", Ints{3, 3}}}},
      {{1, 3, 4, 17},
       {3, 1, 2, 3},
       {{"groups", int64_t(3)}, {"dilation", Ints{2, 3}}, {"padding", Ints{0, 1}}}},
  };
}

struct PoolConfig {
  Shape x;
  Attrs attrs;
};

std::vector<PoolConfig> poolConfigs() {
  return {
      {{2, 3, 6, 7}, {{"window", Ints{2, 2}}}},
      {{1, 2, 7, 5}, {{"window", Ints{3, 3}}, {"stride", Ints{2, 2}}, {"padding", Ints{1, 1}}}},
      {{1, 3, 5, 17}, {{"window", Ints{2, 3}}, {"stride", Ints{1, 2}}}},
  };
}

Shape spatialOf(const Shape &s) { return {s[2], s[3]}; }

Shape resultShape(OpKind op, const std::vector<Shape> &operands, const Attrs &attrs) {
  std::vector<Type> types;
  for (const Shape &s : operands)
    types.push_back({DType::F64, s});
  return inferType(op, types, attrs).shape;
}

/// Operand values inside a plain elementwise op's domain (Ops.def), away from its edges.
Tensor domainValues(Sampler &rng, OperandDomain domain, const Shape &shape) {
  switch (domain) {
  case OperandDomain::Real:
    return rng.uniform(shape);
  case OperandDomain::Positive:
    return rng.uniform(shape, 0.5, 2.0);
  case OperandDomain::AwayFromZero:
    return rng.awayFromZero(shape, 0.5, 2.0);
  case OperandDomain::Own:
    break;
  }
  fail("gradcheck: an elementwise op of Domain Own needs cases of its own in opCases");
}

} // namespace

std::vector<OpCase> opCases(OpKind op, Sampler &rng) {
  std::vector<OpCase> cases;
  const std::vector<Shape> elementwiseShapes = {{17}, {3, 1, 5}};
  // One case per shape for an elementwise op whose operands come from `make`.
  auto elementwise = [&](auto &&make) {
    for (const Shape &shape : elementwiseShapes) {
      CaseBuilder c(rng);
      make(c, shape);
      cases.push_back(c.finish(op, {}));
    }
  };

  switch (op) {
  case OpKind::Input:
  case OpKind::State:
  case OpKind::Constant:
  case OpKind::Iota:
  case OpKind::RandomUniform:
  case OpKind::Argmax:
  case OpKind::OneHot:
    break;

#define ELEMENTWISE(Enum, ...) case OpKind::Enum:
#include "kiln/ir/Ops.def"
    switch (ElementwiseOp e = *elementwiseOp(op)) {
    case ElementwiseOp::Compare:
      break; // not differentiable
    case ElementwiseOp::Convert: {
      // f64 -> f32 -> f64 on dyadic values and weights with a dyadic step: every value the
      // differences visit, and the gradient (which passes through f32), is exact in f32,
      // so the check stays tight although f32 is involved.
      CaseBuilder c(rng);
      ValueId x = c.operand(rng.dyadic({3, 17}));
      ValueId y = c.ir().convert(c.ir().convert(x, DType::F32), DType::F64);
      OpCase oc = c.finishWith(y, "convert f64 -> f32 -> f64", /*dyadicWeights=*/true);
      oc.step = 1.0 / 64;
      cases.push_back(std::move(oc));
      break;
    }
    case ElementwiseOp::Max:
    case ElementwiseOp::Min:
      // b = a +- (0.1 .. 1): the operands never come close to a tie.
      elementwise([](CaseBuilder &c, const Shape &s) {
        Tensor a = c.rng().uniform(s);
        Tensor gap = c.rng().awayFromZero(s, 0.1, 1.0);
        Tensor b(a.type());
        for (int64_t i = 0; i < a.numElements(); ++i)
          b.set(i, a.at(i) + gap.at(i));
        c.operand(a);
        c.operand(b);
      });
      break;
    case ElementwiseOp::Pow:
      elementwise([](CaseBuilder &c, const Shape &s) {
        c.operand(c.rng().uniform(s, 0.5, 2.0));
        c.operand(c.rng().uniform(s, -2.0, 2.0));
      });
      break;
    case ElementwiseOp::Select:
      elementwise([](CaseBuilder &c, const Shape &s) {
        c.operand(c.rng().booleans(s));
        c.uniform(s);
        c.uniform(s);
      });
      break;
    default: // a plain op: its operands come from its Domain column
      elementwise([e, arity = opInfo(op).arity](CaseBuilder &c, const Shape &s) {
        for (int i = 0; i < arity; ++i)
          c.operand(domainValues(c.rng(), operandDomain(e), s));
      });
      break;
    }
    break;

  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMean: {
    std::vector<std::pair<Shape, Ints>> configs = {
        {{3, 17, 2}, {1}}, {{3, 17, 2}, {0, 2}}, {{3, 17, 2}, {0, 1, 2}}, {{1, 5}, {0}}};
    for (const auto &[shape, axes] : configs) {
      CaseBuilder c(rng);
      // reduce_max: distinct values, so each maximum is unique.
      c.operand(op == OpKind::ReduceMax ? rng.distinct(shape) : rng.uniform(shape));
      cases.push_back(c.finish(op, {{"axes", axes}}));
    }
    break;
  }

  case OpKind::Matmul:
    for (bool batched : {false, true})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          int64_t m = 3, k = batched ? 5 : 17, n = batched ? 4 : 1;
          Shape a = ta ? Shape{k, m} : Shape{m, k}, b = tb ? Shape{n, k} : Shape{k, n};
          if (batched) {
            a.insert(a.begin(), 2);
            b.insert(b.begin(), 2);
          }
          CaseBuilder c(rng);
          c.uniform(a);
          c.uniform(b);
          Attrs attrs;
          if (ta)
            attrs.set("transpose_a", true);
          if (tb)
            attrs.set("transpose_b", true);
          cases.push_back(c.finish(op, attrs));
        }
    break;
  case OpKind::Conv2d:
    for (const ConvConfig &conv : convConfigs()) {
      CaseBuilder c(rng);
      c.uniform(conv.x);
      c.uniform(conv.w);
      cases.push_back(c.finish(op, conv.attrs));
    }
    break;
  case OpKind::Conv2dInputGrad:
    for (const ConvConfig &conv : convConfigs()) {
      CaseBuilder c(rng);
      c.uniform(resultShape(OpKind::Conv2d, {conv.x, conv.w}, conv.attrs));
      c.uniform(conv.w);
      Attrs attrs = conv.attrs;
      cases.push_back(c.finish(op, attrs.set("input_size", spatialOf(conv.x))));
    }
    break;
  case OpKind::Conv2dFilterGrad:
    for (const ConvConfig &conv : convConfigs()) {
      CaseBuilder c(rng);
      c.uniform(conv.x);
      c.uniform(resultShape(OpKind::Conv2d, {conv.x, conv.w}, conv.attrs));
      Attrs attrs = conv.attrs;
      cases.push_back(c.finish(op, attrs.set("kernel", spatialOf(conv.w))));
    }
    break;

  case OpKind::MaxPool2d:
  case OpKind::AvgPool2d:
    for (const PoolConfig &pool : poolConfigs()) {
      CaseBuilder c(rng);
      c.operand(op == OpKind::MaxPool2d ? rng.distinct(pool.x) : rng.uniform(pool.x));
      cases.push_back(c.finish(op, pool.attrs));
    }
    break;
  case OpKind::MaxPool2dGrad:
    // x is checked too: the result is piecewise constant in x, so both sides must be 0.
    for (const PoolConfig &pool : poolConfigs()) {
      CaseBuilder c(rng);
      c.operand(rng.distinct(pool.x));
      c.uniform(resultShape(OpKind::MaxPool2d, {pool.x}, pool.attrs));
      cases.push_back(c.finish(op, pool.attrs));
    }
    break;
  case OpKind::AvgPool2dGrad:
    for (const PoolConfig &pool : poolConfigs()) {
      CaseBuilder c(rng);
      c.uniform(resultShape(OpKind::AvgPool2d, {pool.x}, pool.attrs));
      Attrs attrs = pool.attrs;
      cases.push_back(c.finish(op, attrs.set("input_size", spatialOf(pool.x))));
    }
    break;

  case OpKind::Reshape:
    for (const auto &[from, to] :
         std::vector<std::pair<Shape, Shape>>{{{3, 17}, {17, 3}}, {{2, 3, 4}, {24}}, {{1}, {}}}) {
      CaseBuilder c(rng);
      c.uniform(from);
      cases.push_back(c.finish(op, {{"shape", to}}));
    }
    break;
  case OpKind::Transpose:
    for (const auto &[shape, perm] :
         std::vector<std::pair<Shape, Ints>>{{{2, 3, 5}, {2, 0, 1}}, {{3, 17}, {1, 0}}}) {
      CaseBuilder c(rng);
      c.uniform(shape);
      cases.push_back(c.finish(op, {{"perm", perm}}));
    }
    break;
  case OpKind::Broadcast: {
    struct Config {
      Shape from, to;
      Ints dims;
    };
    for (const Config &b : std::vector<Config>{{{3}, {2, 3, 4}, {1}},
                                               {{3, 1}, {3, 5}, {0, 1}},
                                               {{1, 4}, {2, 3, 4}, {1, 2}},
                                               {{}, {3, 2}, {}},
                                               {{1, 1}, {1, 17}, {0, 1}}}) {
      CaseBuilder c(rng);
      c.uniform(b.from);
      cases.push_back(c.finish(op, {{"dims", b.dims}, {"shape", b.to}}));
    }
    break;
  }
  case OpKind::Slice: {
    struct Config {
      Shape shape;
      Ints start, limit, stride;
    };
    for (const Config &s : std::vector<Config>{{{17}, {2}, {15}, {3}},
                                               {{5, 6}, {1, 0}, {4, 6}, {2, 4}},
                                               {{3, 17}, {0, 5}, {3, 17}, {1, 1}},
                                               {{3, 17}, {1, 0}, {3, 17}, {2, 17}}}) {
      CaseBuilder c(rng);
      c.uniform(s.shape);
      cases.push_back(c.finish(op, {{"start", s.start}, {"limit", s.limit}, {"stride", s.stride}}));
    }
    break;
  }
  case OpKind::Concat: {
    std::vector<std::pair<std::vector<Shape>, int64_t>> configs = {
        {{{2, 3}, {2, 1}, {2, 5}}, 1}, {{{1, 4}, {3, 4}}, 0}, {{{17}}, 0}};
    for (const auto &[shapes, axis] : configs) {
      CaseBuilder c(rng);
      for (const Shape &s : shapes)
        c.uniform(s);
      cases.push_back(c.finish(op, {{"axis", axis}}));
    }
    break;
  }
  case OpKind::Pad: {
    CaseBuilder c(rng);
    c.uniform({3, 4});
    cases.push_back(c.finish(op, {{"low", Ints{1, 0}}, {"high", Ints{2, 3}}, {"value", 0.5}}));
    CaseBuilder d(rng);
    d.uniform({17});
    cases.push_back(d.finish(op, {{"low", Ints{0}}, {"high", Ints{0}}}));
    break;
  }
  case OpKind::AllReduce: // over the current communicator: one process checks the identity
    for (const char *reduction : {"sum", "mean"}) {
      CaseBuilder c(rng);
      c.uniform({3, 17});
      cases.push_back(c.finish(op, {{"reduction", std::string(reduction)}}));
    }
    break;
  }
  return cases;
}

} // namespace kiln::gradcheck
