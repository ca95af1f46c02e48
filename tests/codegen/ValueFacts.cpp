// transfer: interval bounds and error bounds, one case per op (an exhaustive switch, so
// a new op must say how it propagates both), except the plain elementwise ops, whose
// bounds follow from their Scalar<Op> (runtime/interp/ScalarOps.h) by one rule.
//
// Error bounds are absolute and deliberately generous (worst cases, times a few ulp),
// since the check multiplies nothing: a bound must hold for every seed. Where the two
// sides compute the same IEEE operation on the same operands the result is the same
// bits, so exactness is kept through arithmetic, views and conversions; it is lost
// only by libmvec maths (exp, log, pow, tanh, logistic: a few ulp), by sums and
// contractions (reassociated), and by any op whose operands already differ.
#include "ValueFacts.h"

#include "kiln/ir/OpGroups.h"
#include "kiln/runtime/interp/ScalarOps.h"

#include <algorithm>
#include <array>
#include <cassert>

namespace kiln::test {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMathUlps = 8; // libmvec against libm: documented as under 4 ulp
constexpr double kSumUlps = 8;  // per term of a reassociated sum, relative to its bound

double epsilon(DType dtype) { return dtype == DType::F64 ? 0x1p-53 : 0x1p-24; }

Facts range(double lo, double hi, double err = 0) { return {lo, hi, err}; }

Facts hull(const std::vector<double> &corners, double err) {
  auto [lo, hi] = std::minmax_element(corners.begin(), corners.end());
  return {*lo, *hi, err};
}

/// An op on inexact operands may round its result differently: one more ulp.
double rounded(double err, double magnitude, DType dtype) {
  return err > 0 ? err + epsilon(dtype) * magnitude : 0;
}

/// Operands must be exact (the op is discontinuous in them).
double needsExact(const std::vector<Facts> &in) {
  for (const Facts &f : in)
    if (!f.exact())
      return kInf;
  return 0;
}

/// A sum of `terms` products of magnitude `magnitude`, reassociated by the JIT.
double sumError(int64_t terms, double operandErr, double magnitude, DType dtype) {
  double n = double(std::max<int64_t>(terms, 1));
  return n * operandErr + kSumUlps * epsilon(dtype) * n * magnitude;
}

double mathError(double magnitude, DType dtype) { return kMathUlps * epsilon(dtype) * magnitude; }

int64_t attrProduct(const std::vector<int64_t> &v) {
  int64_t p = 1;
  for (int64_t x : v)
    p *= x;
  return p;
}

/// Integer results are exact when their operands are, but may wrap: bound them by the
/// i32 range.
Facts integer(Facts f, const std::vector<Facts> &in) {
  constexpr double lo = -2147483648.0, hi = 2147483647.0;
  f.err = needsExact(in);
  if (f.lo < lo || f.hi > hi)
    return range(lo, hi, f.err);
  return f;
}

/// A contraction's facts: `terms` products per output.
Facts contraction(const Facts &a, const Facts &b, int64_t terms, DType dtype) {
  double bound = double(terms) * a.magnitude() * b.magnitude();
  double err = double(terms) * (a.err * b.magnitude() + b.err * a.magnitude() + a.err * b.err) +
               kSumUlps * epsilon(dtype) * double(terms) * a.magnitude() * b.magnitude();
  return range(-bound, bound, err);
}

interp::Interval interval(const Facts &f, double widen = 0) { return {f.lo - widen, f.hi + widen}; }

/// A plain elementwise op's facts from its Scalar<Op>: the image of the operands'
/// intervals, and an error of at most sum_i slope_i * err_i by the mean value theorem,
/// the slopes bounded over the intervals widened by each operand's error (where the
/// JIT's operands may lie), plus the op's own: one rounding for IEEE arithmetic, libm's
/// ulps for the rest. Integer results are exact or wrap (`integer`).
template <ElementwiseOp Op, int Arity> Facts plain(const std::vector<Facts> &in, DType dtype) {
  using S = interp::Scalar<Op>;
  static_assert(Arity == 1 || Arity == 2, "plain elementwise ops are unary or binary");
  interp::Interval image;
  double err = 0;
  if constexpr (Arity == 1) {
    image = S::image(interval(in[0]));
    if (in[0].err > 0)
      err = S::slope(interval(in[0], in[0].err)) * in[0].err;
  } else {
    image = S::image(interval(in[0]), interval(in[1]));
    std::array<double, 2> slopes =
        S::slopes(interval(in[0], in[0].err), interval(in[1], in[1].err));
    for (int i = 0; i < 2; ++i)
      if (in[size_t(i)].err > 0)
        err += slopes[size_t(i)] * in[size_t(i)].err;
  }
  if (dtype == DType::I32) // truncation is monotone: the image's ends bound the results
    return integer(range(std::trunc(image.lo), std::trunc(image.hi)), in);
  Facts r = range(image.lo, image.hi);
  r.err = S::kSameBits ? rounded(err, r.magnitude(), dtype) : err + mathError(r.magnitude(), dtype);
  if (std::isnan(r.err)) // an unbounded slope met an unbounded image
    r.err = kInf;
  return r;
}

/// Windows overlapping one input cell along one axis.
int64_t overlaps(int64_t window, int64_t stride) { return (window + stride - 1) / stride; }

} // namespace

Facts transfer(OpKind op, const std::vector<Type> &types, const std::vector<Facts> &in,
               const Attrs &attrs, const Type &result) {
  DType dtype = result.dtype;
  bool isInt = dtype == DType::I32;
  const Facts a = in.empty() ? Facts{} : in[0];
  const Facts b = in.size() > 1 ? in[1] : Facts{};
  switch (op) {
  case OpKind::Input:
  case OpKind::State:
    assert(false && "inputs and state have given facts");
    return a;
  case OpKind::Constant: {
    if (!attrs.has("data"))
      return range(attrs.getFloat("value"), attrs.getFloat("value"));
    std::vector<double> data = attrs.getFloats("data");
    return hull(data.empty() ? std::vector<double>{0.0} : data, 0);
  }
  case OpKind::Iota:
    return range(0, double(result.shape[attrs.getInt("axis")] - 1));
  case OpKind::RandomUniform:
    return range(0, 1, needsExact(in));
  case OpKind::Convert:
    switch (dtype) {
    case DType::F32:
    case DType::F64:
      return range(a.lo, a.hi, rounded(a.err, a.magnitude(), dtype));
    case DType::I32:
      return integer(range(std::trunc(a.lo), std::trunc(a.hi)), in);
    case DType::Bool:
      return range(0, 1, needsExact(in));
    }
    break;
    // Each plain op (Types Numeric or Float) by its Scalar<Op>'s bounds.
#define KILN_FACTS_Numeric(Enum, Arity)                                                            \
  case OpKind::Enum:                                                                               \
    return plain<ElementwiseOp::Enum, Arity>(in, dtype);
#define KILN_FACTS_Float(Enum, Arity) KILN_FACTS_Numeric(Enum, Arity)
#define KILN_FACTS_Own(Enum, Arity)
#define ELEMENTWISE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable, Types, Domain)           \
  KILN_FACTS_##Types(Enum, Arity)
#include "kiln/ir/Ops.def"
#undef KILN_FACTS_Numeric
#undef KILN_FACTS_Float
#undef KILN_FACTS_Own
  case OpKind::Compare:
    return range(0, 1, needsExact(in));
  case OpKind::Select: {
    Facts r = range(std::min(in[1].lo, in[2].lo), std::max(in[1].hi, in[2].hi));
    r.err = a.exact() ? std::max(in[1].err, in[2].err) : kInf;
    return r;
  }
  case OpKind::ReduceSum: {
    int64_t n = types[0].numElements() / std::max<int64_t>(result.numElements(), 1);
    Facts r = range(std::min(0.0, double(n) * a.lo), std::max(0.0, double(n) * a.hi));
    if (isInt)
      return integer(r, in);
    r.err = sumError(n, a.err, a.magnitude(), dtype);
    return r;
  }
  case OpKind::ReduceMean:
    return range(std::min(0.0, a.lo), std::max(0.0, a.hi),
                 a.err + kSumUlps * epsilon(dtype) * a.magnitude());
  case OpKind::ReduceMax:
    return a;
  case OpKind::Argmax:
    return range(0, double(types[0].shape[attrs.getInt("axis")] - 1), needsExact(in));
  case OpKind::Matmul: {
    const Shape &s = types[0].shape;
    bool ta = attrs.getBool("transpose_a", false);
    return contraction(a, b, ta ? s[s.size() - 2] : s.back(), dtype);
  }
  case OpKind::Conv2d: // terms: C/groups * KH * KW
    return contraction(a, b, attrProduct({types[1].shape[1], types[1].shape[2], types[1].shape[3]}),
                       dtype);
  case OpKind::Conv2dInputGrad: // terms: at most O/groups * KH * KW
    return contraction(
        a, b, types[1].shape[0] / attrs.getInt("groups", 1) * types[1].shape[2] * types[1].shape[3],
        dtype);
  case OpKind::Conv2dFilterGrad: // terms: N * HO * WO
    return contraction(a, b, types[1].shape[0] * types[1].shape[2] * types[1].shape[3], dtype);
  case OpKind::MaxPool2d:
    return a;
  case OpKind::AvgPool2d:
    return range(std::min(0.0, a.lo), std::max(0.0, a.hi),
                 a.err + kSumUlps * epsilon(dtype) * a.magnitude());
  case OpKind::MaxPool2dGrad:
  case OpKind::AvgPool2dGrad: {
    const Facts &dy = op == OpKind::MaxPool2dGrad ? b : a;
    std::vector<int64_t> window = attrs.getInts("window");
    std::vector<int64_t> stride = attrs.getInts("stride", window);
    int64_t terms = overlaps(window[0], stride[0]) * overlaps(window[1], stride[1]);
    Facts r = range(std::min(0.0, double(terms) * dy.lo), std::max(0.0, double(terms) * dy.hi));
    r.err = op == OpKind::MaxPool2dGrad && !a.exact()
                ? kInf
                : sumError(terms, dy.err, dy.magnitude(), dtype);
    return r;
  }
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::Broadcast:
  case OpKind::Slice:
    return a;
  case OpKind::Concat: {
    Facts r = a;
    for (const Facts &f : in)
      r = range(std::min(r.lo, f.lo), std::max(r.hi, f.hi), std::max(r.err, f.err));
    return r;
  }
  case OpKind::Pad: {
    double value = attrs.getFloat("value", 0.0);
    return range(std::min(a.lo, value), std::max(a.hi, value), a.err);
  }
  case OpKind::OneHot:
    return range(0, 1, needsExact(in));
  case OpKind::AllReduce: // one process: the identity
    return a;
  }
  assert(false && "unknown op");
  return {};
}

Facts transfer(const Graph &graph, ValueId id, const std::vector<Facts> &facts) {
  const Node &node = graph.node(id);
  if (node.op == OpKind::Input || node.op == OpKind::State)
    return facts[id];
  std::vector<Type> types;
  std::vector<Facts> in;
  for (ValueId v : node.operands) {
    types.push_back(graph.type(v));
    in.push_back(facts[v]);
  }
  return transfer(node.op, types, in, node.attrs, node.type);
}

} // namespace kiln::test
