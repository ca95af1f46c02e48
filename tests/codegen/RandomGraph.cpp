// appendRandomGraph: a few random inputs, then 3-12 steps that each add one op of a
// randomly chosen class over values made so far (or fresh inputs, constants and
// broadcasts when nothing fits), then some of the values as outputs.
//
// Every candidate node goes through tryAdd: the shape rule (inferType) must accept it
// and its facts must be tame (finite bounds below kMaxMagnitude, a finite error bound
// small against them, at most kMaxElements elements); otherwise the step tries again.
// Ops that need a domain get their operands mapped into it first (|x| + 0.5 before a
// log or a division, a scale before an exp or a power), and ops that are discontinuous
// in their operands (compare, float-to-int, argmax, the max-pool gradient's input) only
// see values both sides compute exactly.
#include "RandomGraph.h"
#include "SplitMix.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/OpGroups.h"
#include "kiln/ir/ShapeRules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>

namespace kiln::test {

namespace {

constexpr double kMaxMagnitude = 1e4;
constexpr int64_t kMaxElements = int64_t(1) << 17;
const std::vector<int64_t> kDims = {1, 2, 3, 4, 5, 7, 8, 9, 16, 17};
/// Sizes of the occasional large value: enough elements (32768) that the JIT splits a
/// loop over threads, rows long enough for blocked sums, matrices beyond one tile.
const std::vector<int64_t> kLargeDims = {31, 63, 64, 127, 128, 255, 256, 300};

class Generator {
public:
  Generator(TestGraph &test, uint64_t seed)
      : test_(test), g_(test.graph), rng_(seed), prefix_(fmt::format("s{}_", seed)),
        facts_(analyze(test)) {
    float_ = rng_.chance(0.8) ? DType::F32 : DType::F64;
  }

  void run() {
    for (int64_t i = 0, n = rng_.between(1, 2); i < n; ++i)
      newInput({float_, randomShape()});
    int64_t steps = rng_.between(3, 12);
    for (int64_t s = 0; s < steps; ++s)
      for (int attempt = 0; attempt < 8; ++attempt) {
        std::optional<ValueId> v;
        try {
          v = step();
        } catch (const Error &) {
          // A helper node (|x| + 0.5, a scale) was refused: try another step.
        }
        if (v) {
          pool_.push_back(*v);
          break;
        }
      }
    // Outputs: every value nothing else reads (so no computed node is dead), and a few
    // others.
    std::vector<bool> read(g_.size(), false);
    for (ValueId v : pool_)
      for (ValueId operand : g_.node(v).operands)
        read[size_t(operand)] = true;
    std::vector<ValueId> outputs;
    for (ValueId v : pool_) {
      OpKind op = g_.node(v).op;
      if (op != OpKind::Input && op != OpKind::Constant && (!read[size_t(v)] || rng_.chance(0.2)))
        outputs.push_back(v);
    }
    if (outputs.empty())
      outputs.push_back(pool_.back());
    for (size_t k = 0; k < outputs.size(); ++k)
      g_.addOutput(fmt::format("{}out{}", prefix_, k), outputs[k]);
  }

private:
  // ---- building blocks ---------------------------------------------------------------

  const Type &type(ValueId v) const { return g_.type(v); }
  const Facts &facts(ValueId v) const { return facts_[size_t(v)]; }

  /// Adds `op(operands) {attrs}` if the shape rule accepts it and its facts are tame.
  std::optional<ValueId> tryAdd(OpKind op, std::vector<ValueId> operands, Attrs attrs = {}) {
    std::vector<Type> types;
    std::vector<Facts> in;
    for (ValueId v : operands) {
      types.push_back(type(v));
      in.push_back(facts(v));
    }
    Type result;
    try {
      result = inferType(op, types, attrs);
    } catch (const Error &) {
      return std::nullopt;
    }
    Facts f = transfer(op, types, in, attrs, result);
    bool tame = std::isfinite(f.lo) && std::isfinite(f.hi) && f.magnitude() <= kMaxMagnitude &&
                f.checkable() && f.err <= 1e-2 * std::max(1.0, f.magnitude()) &&
                result.numElements() <= kMaxElements;
    if (!tame)
      return std::nullopt;
    ValueId id = g_.add(op, std::move(operands), std::move(attrs), "random");
    facts_.push_back(f);
    return id;
  }

  ValueId add(OpKind op, std::vector<ValueId> operands, Attrs attrs = {}) {
    std::optional<ValueId> v = tryAdd(op, std::move(operands), std::move(attrs));
    if (!v)
      fail("random graph: a node the generator relies on was refused");
    return *v;
  }

  ValueId newInput(const Type &t) {
    Facts f = t.dtype == DType::Bool  ? Facts{0, 1}
              : t.dtype == DType::I32 ? Facts{-4, 9}
                                      : Facts{-2, 2};
    return newInput(t, f);
  }

  ValueId newInput(const Type &t, Facts f) {
    std::string name = fmt::format("{}in{}", prefix_, inputs_++);
    ValueId id = g_.addInput(name, t);
    test_.inputFacts[name] = f;
    facts_.push_back(f);
    pool_.push_back(id);
    return id;
  }

  ValueId constant(const Type &t, double value) {
    return add(OpKind::Constant, {},
               {{"dtype", std::string(dtypeName(t.dtype))}, {"shape", t.shape}, {"value", value}});
  }

  /// |v| + 0.5: the domain of log, sqrt, rsqrt, a divisor and a power's base.
  ValueId positive(ValueId v) {
    if (facts(v).lo >= 0.1)
      return v;
    return add(OpKind::Add, {add(OpKind::Abs, {v}), constant(type(v), 0.5)});
  }

  /// v scaled into [-limit, limit].
  ValueId bounded(ValueId v, double limit) {
    if (facts(v).magnitude() <= limit)
      return v;
    return add(OpKind::Mul, {v, constant(type(v), limit / facts(v).magnitude())});
  }

  /// Mostly small shapes of awkward sizes; one in twelve large (16K to 64K elements).
  Shape randomShape(int64_t maxRank = 4) {
    bool large = maxRank >= 2 && rng_.chance(1.0 / 12);
    while (true) {
      Shape s;
      for (int64_t r = rng_.between(large ? 2 : 0, maxRank); r > 0; --r)
        s.push_back(rng_.pick(large && rng_.chance(0.6) ? kLargeDims : kDims));
      int64_t n = numElements(s);
      if (large ? n >= 16384 && n <= 65536 : n <= 1024)
        return s;
    }
  }

  DType numericType() { return rng_.chance(0.8) ? float_ : DType::I32; }

  /// A value of the pool satisfying `want`, or none; half the time one of the newest
  /// three, so graphs grow deep rather than wide.
  std::optional<ValueId> pickWhere(const std::function<bool(ValueId)> &want) {
    std::vector<ValueId> candidates;
    for (ValueId v : pool_)
      if (want(v))
        candidates.push_back(v);
    if (candidates.empty())
      return std::nullopt;
    if (candidates.size() > 3 && rng_.chance(0.5))
      candidates.erase(candidates.begin(), candidates.end() - 3);
    return rng_.pick(candidates);
  }

  /// A value of dtype `dtype` (rank `rank` if not -1; exact if asked), often from the
  /// pool, else a new input.
  ValueId operand(DType dtype, int64_t rank = -1, bool exact = false) {
    if (rng_.chance(0.85))
      if (auto v = pickWhere([&](ValueId v) {
            return type(v).dtype == dtype && (rank < 0 || type(v).rank() == rank) &&
                   (!exact || facts(v).exact());
          }))
        return *v;
    Shape s = randomShape();
    while (rank >= 0 && int64_t(s.size()) != rank)
      s = randomShape();
    return newInput({dtype, s});
  }

  /// `v` broadcast to `shape`, its dims matched right-aligned (or any size-1 dims).
  std::optional<ValueId> broadcastInto(ValueId v, const Shape &shape) {
    const Shape &from = type(v).shape;
    if (from.size() > shape.size())
      return std::nullopt;
    std::vector<int64_t> dims;
    size_t offset = shape.size() - from.size();
    for (size_t i = 0; i < from.size(); ++i)
      dims.push_back(int64_t(offset + i));
    return tryAdd(OpKind::Broadcast, {v}, {{"dims", dims}, {"shape", shape}});
  }

  /// A second operand for an elementwise op with `a`: the same type, from the pool, a
  /// broadcast of a smaller value, a splat constant or a new input.
  ValueId partner(ValueId a, bool exact = false) {
    const Type t = type(a);
    int64_t r = rng_.below(100);
    if (r < 35)
      if (auto v =
              pickWhere([&](ValueId v) { return type(v) == t && (!exact || facts(v).exact()); }))
        return *v;
    if (r < 65 && t.rank() > 0) {
      auto small = pickWhere([&](ValueId v) {
        return type(v).dtype == t.dtype && type(v).rank() < t.rank() &&
               (!exact || facts(v).exact());
      });
      if (small)
        if (auto v = broadcastInto(*small, t.shape))
          return *v;
      // A new input over some of the dims (size 1 or full), broadcast up.
      Shape s;
      std::vector<int64_t> dims;
      for (int64_t d = 0; d < t.rank(); ++d)
        if (rng_.chance(0.6)) {
          s.push_back(rng_.chance(0.3) ? 1 : t.shape[size_t(d)]);
          dims.push_back(d);
        }
      ValueId in = newInput({t.dtype, s});
      if (auto v = tryAdd(OpKind::Broadcast, {in}, {{"dims", dims}, {"shape", t.shape}}))
        return *v;
    }
    if (r < 80) {
      double value = t.dtype == DType::Bool ? double(rng_.below(2))
                     : t.dtype == DType::I32
                         ? double(rng_.between(-3, 5))
                         : rng_.pick(std::vector<double>{0.5, -1.25, 2.0, 0.0, 3.0});
      return constant(t, value);
    }
    return newInput(t);
  }

  // ---- the op classes ------------------------------------------------------------------

  std::optional<ValueId> step() {
    static const std::vector<std::pair<int, std::optional<ValueId> (Generator::*)()>> classes = {
        {14, &Generator::unary},  {18, &Generator::binary}, {10, &Generator::reduce},
        {3, &Generator::argmax},  {16, &Generator::view},   {7, &Generator::matmul},
        {6, &Generator::conv},    {6, &Generator::pool},    {8, &Generator::compareSelect},
        {5, &Generator::convert}, {5, &Generator::source},
    };
    int total = 0;
    for (const auto &c : classes)
      total += c.first;
    int64_t r = rng_.below(total);
    for (const auto &[weight, make] : classes) {
      if (r < weight)
        return (this->*make)();
      r -= weight;
    }
    return std::nullopt;
  }

  /// The plain elementwise ops (Ops.def's Types Numeric or Float) of one arity, so a
  /// new op is in the random graphs as soon as it is in the table.
  static std::vector<OpKind> plainOps(int arity) {
    std::vector<OpKind> ops;
    for (const OpInfo &info : kOpInfos)
      if (auto e = elementwiseOp(info.kind);
          e && info.arity == arity && operandTypes(*e) != OperandTypes::Own)
        ops.push_back(info.kind);
    return ops;
  }

  /// An operand for a plain op: of a type it takes, inside its Domain column's domain.
  ValueId plainOperand(ElementwiseOp op, DType dtype) {
    ValueId a = operand(dtype);
    if (operandDomain(op) == OperandDomain::Positive)
      a = positive(a);
    return a;
  }

  std::optional<ValueId> unary() {
    static const std::vector<OpKind> ops = plainOps(1);
    OpKind op = rng_.pick(ops);
    ElementwiseOp e = *elementwiseOp(op);
    ValueId a =
        plainOperand(e, operandTypes(e) == OperandTypes::Numeric ? numericType() : float_);
    if (auto v = tryAdd(op, {a}))
      return v;
    // Refused (exp overflowing, say): once more on the operand scaled into [-4, 4].
    if (!isFloat(type(a).dtype))
      return std::nullopt;
    return tryAdd(op, {bounded(a, 4)});
  }

  std::optional<ValueId> binary() {
    static const std::vector<OpKind> ops = plainOps(2);
    OpKind op = rng_.pick(ops);
    ElementwiseOp e = *elementwiseOp(op);
    ValueId a = plainOperand(e, operandTypes(e) == OperandTypes::Numeric ? numericType() : float_);
    ValueId b = partner(a);
    if (isFloat(type(a).dtype)) {
      if (operandDomain(e) == OperandDomain::AwayFromZero)
        b = positive(b);
      if (op == OpKind::Pow) { // Domain Own: a positive base, an exponent that cannot overflow
        a = positive(bounded(a, 8));
        b = bounded(b, 3);
      }
      if (op == OpKind::Mul) {
        a = bounded(a, 100);
        b = bounded(b, 100);
      }
    }
    return tryAdd(op, {a, b});
  }

  /// Each axis with probability 1/2; none (a copy) only rarely.
  std::vector<int64_t> randomAxes(int64_t rank) {
    std::vector<int64_t> axes;
    for (int attempt = 0; attempt < 3 && axes.empty(); ++attempt)
      for (int64_t d = 0; d < rank; ++d)
        if (rng_.chance(0.5))
          axes.push_back(d);
    return axes;
  }

  std::optional<ValueId> reduce() {
    static const std::vector<OpKind> ops = {OpKind::ReduceSum, OpKind::ReduceSum, OpKind::ReduceMax,
                                            OpKind::ReduceMean};
    OpKind op = rng_.pick(ops);
    ValueId a = operand(op == OpKind::ReduceMean ? float_ : numericType());
    return tryAdd(op, {a}, {{"axes", randomAxes(type(a).rank())}});
  }

  std::optional<ValueId> argmax() {
    DType dtype = rng_.chance(0.7) ? float_ : DType::I32;
    ValueId a = operand(dtype, -1, /*exact=*/true);
    if (type(a).rank() == 0)
      return std::nullopt;
    return tryAdd(OpKind::Argmax, {a}, {{"axis", rng_.below(type(a).rank())}});
  }

  std::optional<ValueId> view() {
    auto any = pickWhere([](ValueId) { return true; });
    ValueId a = any ? *any : newInput({float_, randomShape()});
    const Shape s = type(a).shape; // a copy: adding nodes moves the graph's storage
    int64_t rank = int64_t(s.size());
    switch (rng_.below(6)) {
    case 0: { // reshape: merge two neighbours, split one, or flatten
      Shape to = s;
      int64_t how = rng_.below(3);
      if (how == 0 && rank >= 2) {
        int64_t d = rng_.below(rank - 1);
        to[size_t(d)] *= to[size_t(d + 1)];
        to.erase(to.begin() + d + 1);
      } else if (how == 1 && rank >= 1) {
        int64_t d = rng_.below(rank);
        std::vector<int64_t> divisors;
        for (int64_t f = 1; f <= s[size_t(d)]; ++f)
          if (s[size_t(d)] % f == 0)
            divisors.push_back(f);
        int64_t f = rng_.pick(divisors);
        to[size_t(d)] = s[size_t(d)] / f;
        to.insert(to.begin() + d, f);
      } else {
        to = {type(a).numElements()};
      }
      return tryAdd(OpKind::Reshape, {a}, {{"shape", to}});
    }
    case 1: { // transpose
      std::vector<int64_t> perm(size_t(rank), 0);
      std::iota(perm.begin(), perm.end(), 0);
      for (int64_t i = rank - 1; i > 0; --i)
        std::swap(perm[size_t(i)], perm[size_t(rng_.below(i + 1))]);
      return tryAdd(OpKind::Transpose, {a}, {{"perm", perm}});
    }
    case 2: { // slice
      std::vector<int64_t> start, limit, stride;
      for (int64_t d : s) {
        start.push_back(rng_.below(d));
        limit.push_back(start.back() + 1 + rng_.below(d - start.back()));
        stride.push_back(rng_.between(1, 3));
      }
      return tryAdd(OpKind::Slice, {a}, {{"start", start}, {"limit", limit}, {"stride", stride}});
    }
    case 3: { // pad
      std::vector<int64_t> low, high;
      for (int64_t d = 0; d < rank; ++d) {
        low.push_back(rng_.below(3));
        high.push_back(rng_.below(3));
      }
      double value = type(a).dtype == DType::Bool  ? double(rng_.below(2))
                     : type(a).dtype == DType::I32 ? double(rng_.between(-2, 3))
                                                   : rng_.pick(std::vector<double>{0.0, 1.5, -1.0});
      return tryAdd(OpKind::Pad, {a}, {{"low", low}, {"high", high}, {"value", value}});
    }
    case 4: { // broadcast: a new dim, and size-1 dims expanded
      Shape to;
      std::vector<int64_t> dims;
      int64_t at = rng_.below(rank + 1);
      for (int64_t d = 0; d <= rank; ++d) {
        if (d == at)
          to.push_back(rng_.pick(kDims));
        if (d < rank) {
          dims.push_back(int64_t(to.size()));
          to.push_back(s[size_t(d)] == 1 && rng_.chance(0.5) ? rng_.pick(kDims) : s[size_t(d)]);
        }
      }
      return tryAdd(OpKind::Broadcast, {a}, {{"dims", dims}, {"shape", to}});
    }
    default: { // concat with a slice of itself, itself, or a new input
      if (rank == 0)
        return std::nullopt;
      int64_t axis = rng_.below(rank);
      std::vector<ValueId> parts = {a};
      for (int64_t k = rng_.between(1, 2); k > 0; --k) {
        int64_t how = rng_.below(3);
        if (how == 0) {
          Shape other = s;
          other[size_t(axis)] = rng_.between(1, 5);
          parts.push_back(newInput({type(a).dtype, other}));
        } else if (how == 1) {
          std::vector<int64_t> start(size_t(rank), 0), limit = s;
          start[size_t(axis)] = rng_.below(s[size_t(axis)]);
          if (auto v = tryAdd(OpKind::Slice, {a}, {{"start", start}, {"limit", limit}}))
            parts.push_back(*v);
        } else {
          parts.push_back(a);
        }
      }
      return tryAdd(OpKind::Concat, parts, {{"axis", axis}});
    }
    }
  }

  std::optional<ValueId> matmul() {
    int64_t rank = rng_.chance(0.7) ? 2 : 3;
    ValueId a = bounded(operand(float_, rank), 4);
    bool ta = rng_.chance(0.4), tb = rng_.chance(0.4);
    const Shape s = type(a).shape;
    int64_t k = ta ? s[size_t(rank - 2)] : s[size_t(rank - 1)];
    int64_t n = rng_.pick(kDims);
    Shape bs = tb ? Shape{n, k} : Shape{k, n};
    if (rank == 3)
      bs.insert(bs.begin(), s[0]);
    Type bt{float_, bs};
    auto same = pickWhere([&](ValueId v) { return type(v) == bt; });
    ValueId b = bounded(same && rng_.chance(0.5) ? *same : newInput(bt), 4);
    return tryAdd(OpKind::Matmul, {a, b}, {{"transpose_a", ta}, {"transpose_b", tb}});
  }

  /// A rank-4 float value from the pool or a new image input [N, C, H, W].
  ValueId image(bool exact = false) {
    if (rng_.chance(0.6))
      if (auto v = pickWhere([&](ValueId v) {
            return type(v).dtype == float_ && type(v).rank() == 4 && (!exact || facts(v).exact());
          }))
        return *v;
    if (rng_.chance(0.15)) // a few channels of a larger image
      return newInput(
          {float_,
           {rng_.between(1, 3), rng_.between(4, 16), rng_.between(12, 30), rng_.between(12, 30)}});
    return newInput(
        {float_, {rng_.between(1, 2), rng_.between(1, 4), rng_.between(3, 9), rng_.between(3, 9)}});
  }

  std::optional<ValueId> conv() {
    ValueId x = bounded(image(), 4);
    int64_t c = type(x).shape[1];
    int64_t groups = rng_.pick(std::vector<int64_t>{1, 1, c % 2 == 0 ? 2 : 1, c});
    int64_t o = groups * rng_.between(1, 3);
    Shape w = {o, c / groups, rng_.between(1, 3), rng_.between(1, 3)};
    Attrs attrs{{"stride", std::vector<int64_t>{rng_.between(1, 2), rng_.between(1, 2)}},
                {"padding", std::vector<int64_t>{rng_.below(2), rng_.below(2)}},
                {"dilation", std::vector<int64_t>{rng_.chance(0.2) ? 2 : 1, 1}},
                {"groups", groups}};
    Type y;
    try {
      y = inferType(OpKind::Conv2d, {type(x), {float_, w}}, attrs);
    } catch (const Error &) {
      return std::nullopt;
    }
    switch (rng_.below(3)) {
    case 0:
      return tryAdd(OpKind::Conv2d, {x, newInput({float_, w}, {-1, 1})}, attrs);
    case 1: {
      attrs.set("input_size", std::vector<int64_t>{type(x).shape[2], type(x).shape[3]});
      return tryAdd(OpKind::Conv2dInputGrad, {newInput(y, {-1, 1}), newInput({float_, w}, {-1, 1})},
                    attrs);
    }
    default:
      attrs.set("kernel", std::vector<int64_t>{w[2], w[3]});
      return tryAdd(OpKind::Conv2dFilterGrad, {x, newInput(y, {-1, 1})}, attrs);
    }
  }

  std::optional<ValueId> pool() {
    int64_t kind = rng_.below(4);
    ValueId x = image(/*exact=*/kind == 2);
    std::vector<int64_t> window = {rng_.between(1, 3), rng_.between(1, 3)};
    Attrs attrs{{"window", window},
                {"stride", std::vector<int64_t>{rng_.between(1, 3), rng_.between(1, 3)}},
                {"padding", std::vector<int64_t>{rng_.below(window[0] / 2 + 1),
                                                 rng_.below(window[1] / 2 + 1)}}};
    Type y;
    try {
      y = inferType(OpKind::MaxPool2d, {type(x)}, attrs);
    } catch (const Error &) {
      return std::nullopt;
    }
    switch (kind) {
    case 0:
      return tryAdd(OpKind::MaxPool2d, {x}, attrs);
    case 1:
      return tryAdd(OpKind::AvgPool2d, {x}, attrs);
    case 2:
      return tryAdd(OpKind::MaxPool2dGrad, {x, newInput(y)}, attrs);
    default:
      attrs.set("input_size", std::vector<int64_t>{type(x).shape[2], type(x).shape[3]});
      return tryAdd(OpKind::AvgPool2dGrad, {newInput(y)}, attrs);
    }
  }

  std::optional<ValueId> compareSelect() {
    static const std::vector<std::string> directions = {"eq", "ne", "lt", "le", "gt", "ge"};
    DType dtype = rng_.pick(std::vector<DType>{float_, float_, DType::I32, DType::Bool});
    ValueId a = operand(dtype, -1, /*exact=*/true);
    ValueId b = partner(a, /*exact=*/true);
    std::optional<ValueId> predicate =
        tryAdd(OpKind::Compare, {a, b}, {{"direction", rng_.pick(directions)}});
    if (!predicate || rng_.chance(0.3))
      return predicate;
    // select(a < b, x, y) over values of the predicate's shape (often a and b).
    Shape shape = type(a).shape;
    auto x = pickWhere([&](ValueId v) { return type(v).shape == shape; });
    ValueId onTrue = x ? *x : a;
    return tryAdd(OpKind::Select, {*predicate, onTrue, partner(onTrue)});
  }

  std::optional<ValueId> convert() {
    auto any = pickWhere([](ValueId) { return true; });
    ValueId a = any ? *any : newInput({float_, randomShape()});
    DType to = rng_.pick(std::vector<DType>{DType::F32, DType::F64, DType::I32, DType::Bool});
    if (!facts(a).exact() && !isFloat(to))
      to = float_;
    return tryAdd(OpKind::Convert, {a}, {{"dtype", std::string(dtypeName(to))}});
  }

  std::optional<ValueId> source() {
    switch (rng_.below(4)) {
    case 0: {
      Shape s = randomShape();
      if (s.empty())
        s = {rng_.pick(kDims)};
      DType dtype = rng_.chance(0.5) ? float_ : DType::I32;
      return tryAdd(OpKind::Iota, {},
                    {{"dtype", std::string(dtypeName(dtype))},
                     {"shape", s},
                     {"axis", rng_.below(int64_t(s.size()))}});
    }
    case 1: {
      Shape s = {rng_.between(1, 4), rng_.between(1, 3)};
      std::vector<double> data;
      for (int64_t i = 0; i < numElements(s); ++i)
        data.push_back(std::round(rng_.uniform(-2, 2) * 8) / 8);
      return tryAdd(OpKind::Constant, {},
                    {{"dtype", std::string(dtypeName(float_))}, {"shape", s}, {"data", data}});
    }
    case 2: {
      ValueId counter = newInput({DType::I32, {}}, {0, 50});
      return tryAdd(OpKind::RandomUniform, {counter},
                    {{"seed", int64_t(rng_.next() >> 1)}, {"shape", randomShape()}});
    }
    default: {
      int64_t depth = rng_.between(1, 6);
      auto indices =
          pickWhere([&](ValueId v) { return type(v).dtype == DType::I32 && facts(v).exact(); });
      ValueId i = indices && rng_.chance(0.5)
                      ? *indices
                      : newInput({DType::I32, randomShape(3)}, {-1, double(depth)});
      return tryAdd(OpKind::OneHot, {i},
                    {{"depth", depth}, {"dtype", std::string(dtypeName(numericType()))}});
    }
    }
  }

  TestGraph &test_;
  Graph &g_;
  SplitMix rng_;
  std::string prefix_;
  std::vector<Facts> facts_;
  std::vector<ValueId> pool_;
  DType float_;
  int inputs_ = 0;
};

} // namespace

void appendRandomGraph(TestGraph &test, uint64_t seed) { Generator(test, seed).run(); }

} // namespace kiln::test
