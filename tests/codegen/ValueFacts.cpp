// transfer: interval bounds and error bounds, one case per op (an exhaustive switch, so
// a new op must say how it propagates both).
//
// Error bounds are absolute and deliberately generous (worst cases, times a few ulp),
// since the check multiplies nothing: a bound must hold for every seed. Where the two
// sides compute the same IEEE operation on the same operands the result is the same
// bits, so exactness is kept through arithmetic, views and conversions; it is lost
// only by libmvec maths (exp, log, pow, tanh, logistic: a few ulp), by sums and
// contractions (reassociated), and by any op whose operands already differ.
#include "ValueFacts.h"

#include <algorithm>
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
  case OpKind::Neg:
    return isInt ? integer(range(-a.hi, -a.lo), in) : range(-a.hi, -a.lo, a.err);
  case OpKind::Abs: {
    double lo = a.lo >= 0 ? a.lo : a.hi <= 0 ? -a.hi : 0;
    return isInt ? integer(range(lo, a.magnitude()), in) : range(lo, a.magnitude(), a.err);
  }
  case OpKind::Exp: {
    double hi = std::exp(a.hi);
    return range(std::exp(a.lo), hi, hi * a.err + mathError(hi, dtype));
  }
  case OpKind::Log: {
    Facts r = range(std::log(a.lo), std::log(a.hi));
    r.err = a.lo > 0 ? a.err / a.lo + mathError(r.magnitude(), dtype) : kInf;
    return r;
  }
  case OpKind::Sqrt: {
    // |sqrt x - sqrt y| <= sqrt |x - y| bounds the error even near 0; sqrt itself is
    // correctly rounded on both sides.
    double lo = std::sqrt(std::max(a.lo, 0.0)), hi = std::sqrt(std::max(a.hi, 0.0));
    double err = a.lo > 0 ? std::min(a.err / (2 * lo), std::sqrt(a.err)) : std::sqrt(a.err);
    return range(lo, hi, rounded(err, hi, dtype));
  }
  case OpKind::Rsqrt: {
    Facts r = range(1 / std::sqrt(a.hi), 1 / std::sqrt(a.lo));
    r.err = a.lo > 0 ? rounded(0.5 * a.err * std::pow(a.lo, -1.5), r.hi, dtype) : kInf;
    return r;
  }
  case OpKind::Tanh:
    return range(std::tanh(a.lo), std::tanh(a.hi), a.err + mathError(1, dtype));
  case OpKind::Logistic:
    return range(1 / (1 + std::exp(-a.lo)), 1 / (1 + std::exp(-a.hi)),
                 a.err / 4 + mathError(1, dtype));
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
  case OpKind::Add:
  case OpKind::Sub: {
    Facts r = op == OpKind::Add ? range(a.lo + b.lo, a.hi + b.hi) : range(a.lo - b.hi, a.hi - b.lo);
    if (isInt)
      return integer(r, in);
    r.err = rounded(a.err + b.err, r.magnitude(), dtype);
    return r;
  }
  case OpKind::Mul: {
    Facts r = hull({a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi}, 0);
    if (isInt)
      return integer(r, in);
    r.err = rounded(a.err * b.magnitude() + b.err * a.magnitude() + a.err * b.err, r.magnitude(),
                    dtype);
    return r;
  }
  case OpKind::Div: {
    if (isInt) // truncating, x / 0 = 0: |x / y| <= |x|
      return integer(range(-a.magnitude(), a.magnitude()), in);
    if (b.lo <= 0 && b.hi >= 0)
      return range(-kInf, kInf, kInf);
    Facts r = hull({a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi}, 0);
    double smallest = std::min(std::abs(b.lo), std::abs(b.hi));
    r.err = rounded(a.err / smallest + a.magnitude() * b.err / (smallest * (smallest - b.err)),
                    r.magnitude(), dtype);
    return r;
  }
  case OpKind::Max:
  case OpKind::Min: {
    Facts r = op == OpKind::Max ? range(std::max(a.lo, b.lo), std::max(a.hi, b.hi))
                                : range(std::min(a.lo, b.lo), std::min(a.hi, b.hi));
    r.err = std::max(a.err, b.err);
    return r;
  }
  case OpKind::Pow: {
    if (a.lo <= 0)
      return range(-kInf, kInf, kInf);
    Facts r = hull(
        {std::pow(a.lo, b.lo), std::pow(a.lo, b.hi), std::pow(a.hi, b.lo), std::pow(a.hi, b.hi)},
        0);
    double logBase = std::max(std::abs(std::log(a.lo)), std::abs(std::log(a.hi)));
    r.err = r.hi * (b.err * logBase + a.err * b.magnitude() / a.lo) + mathError(r.hi, dtype);
    return r;
  }
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
