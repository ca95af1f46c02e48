#include "kiln/frontend/Value.h"

#include "kiln/frontend/Emit.h"

#include <algorithm>
#include <numeric>

namespace kiln {

using detail::Emitter;

int64_t Value::dim(int64_t axis) const {
  Emitter e(*this, "dim");
  return shape()[static_cast<size_t>(detail::normalizeAxis(e, axis, rank()))];
}

Value Value::view(const std::vector<int64_t> &request) const {
  Emitter e(*this, "view");
  Type t = type();
  Shape shape = request;
  auto infer = std::find(shape.begin(), shape.end(), -1);
  if (infer != shape.end() && std::find(infer + 1, shape.end(), -1) != shape.end())
    e.fail("view {} of {}: only one dimension can be -1", shapeStr(request), t.str());
  int64_t known = 1;
  for (int64_t d : shape) {
    if (d < -1)
      e.fail("view {} of {}: invalid dimension {}", shapeStr(request), t.str(), d);
    if (d != -1)
      known *= d;
  }
  if (infer != shape.end()) {
    if (known == 0 || t.numElements() % known != 0)
      e.fail("view {} of {}: {} elements do not divide into {}", shapeStr(request), t.str(),
             t.numElements(), known);
    *infer = t.numElements() / known;
  } else if (known != t.numElements()) {
    e.fail("view {} of {}: {} elements cannot be viewed as {}", shapeStr(request), t.str(),
           t.numElements(), known);
  }
  return e.wrap(e.b().reshape(id(), shape));
}

Value Value::flatten(int64_t startDim, int64_t endDim) const {
  Emitter e(*this, "flatten");
  Shape s = shape();
  if (s.empty())
    return e.wrap(e.b().reshape(id(), {1}));
  int64_t start = detail::normalizeAxis(e, startDim, rank());
  int64_t end = detail::normalizeAxis(e, endDim, rank());
  if (start > end)
    e.fail("flatten start {} is after end {} for {}", startDim, endDim, type().str());
  Shape out(s.begin(), s.begin() + start);
  out.push_back(
      std::accumulate(s.begin() + start, s.begin() + end + 1, int64_t(1), std::multiplies<>()));
  out.insert(out.end(), s.begin() + end + 1, s.end());
  return e.wrap(e.b().reshape(id(), out));
}

Value Value::unsqueeze(int64_t axis) const {
  Emitter e(*this, "unsqueeze");
  Shape s = shape();
  int64_t a = detail::normalizeAxis(e, axis, rank() + 1);
  s.insert(s.begin() + a, 1);
  return e.wrap(e.b().reshape(id(), s));
}

Value Value::squeeze(int64_t axis) const {
  Emitter e(*this, "squeeze");
  Shape s = shape();
  int64_t a = detail::normalizeAxis(e, axis, rank());
  if (s[static_cast<size_t>(a)] != 1)
    e.fail("cannot squeeze axis {} of {}: its size is not 1", axis, type().str());
  s.erase(s.begin() + a);
  return e.wrap(e.b().reshape(id(), s));
}

Value Value::transpose(int64_t dim0, int64_t dim1) const {
  Emitter e(*this, "transpose");
  std::vector<int64_t> perm(static_cast<size_t>(rank()));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[static_cast<size_t>(detail::normalizeAxis(e, dim0, rank()))],
            perm[static_cast<size_t>(detail::normalizeAxis(e, dim1, rank()))]);
  return e.wrap(e.b().transpose(id(), perm));
}

Value Value::permute(const std::vector<int64_t> &perm) const {
  Emitter e(*this, "permute");
  std::vector<int64_t> p = perm;
  for (int64_t &a : p)
    a = detail::normalizeAxis(e, a, rank());
  return e.wrap(e.b().transpose(id(), p));
}

Value Value::expand(const Shape &target) const {
  Emitter e(*this, "expand");
  if (detail::broadcastShapes(e, type(), {dtype(), target}) != target)
    e.fail("cannot expand {} to {}", type().str(), shapeStr(target));
  return e.wrap(e.b().broadcastTo(id(), target));
}

Value Value::slice(int64_t axis, int64_t start, int64_t end, int64_t step) const {
  Emitter e(*this, "slice");
  int64_t a = detail::normalizeAxis(e, axis, rank());
  Shape s = shape();
  int64_t size = s[static_cast<size_t>(a)];
  // Python semantics: negative bounds count from the end, out-of-range ones clamp.
  auto clampIndex = [size](int64_t i) {
    return std::clamp(i < 0 ? i + size : i, int64_t(0), size);
  };
  int64_t lo = clampIndex(start), hi = std::max(lo, clampIndex(end));
  if (step < 1)
    e.fail("slice step must be >= 1, got {}", step);
  std::vector<int64_t> starts(s.size(), 0), limits = s, steps(s.size(), 1);
  starts[static_cast<size_t>(a)] = lo;
  limits[static_cast<size_t>(a)] = hi;
  steps[static_cast<size_t>(a)] = step;
  if (lo == 0 && hi == size && step == 1)
    return *this;
  return e.wrap(
      e.b().op(OpKind::Slice, {id()}, {{"start", starts}, {"limit", limits}, {"stride", steps}}));
}

std::vector<Value> Value::chunk(int64_t chunks, int64_t axis) const {
  Emitter e(*this, "chunk");
  int64_t a = detail::normalizeAxis(e, axis, rank());
  int64_t size = dim(a);
  if (chunks < 1 || size % chunks != 0)
    e.fail("cannot split axis {} of {} into {} equal chunks", axis, type().str(), chunks);
  std::vector<Value> out;
  int64_t step = size / chunks;
  for (int64_t i = 0; i < chunks; ++i)
    out.push_back(slice(a, i * step, (i + 1) * step));
  return out;
}

Value Value::to(DType target) const {
  Emitter e(*this, "convert");
  return e.wrap(e.b().convert(id(), target));
}

namespace {
std::vector<int64_t> allAxes(int64_t rank) {
  std::vector<int64_t> axes(static_cast<size_t>(rank));
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

Value reduceValue(const Value &x, OpKind op, const char *fn, const std::vector<int64_t> &axes,
                  bool keepdim) {
  Emitter e(x, fn);
  std::vector<int64_t> norm = detail::normalizeAxes(e, axes, x.rank());
  if (op == OpKind::ReduceMean && !isFloat(x.dtype()))
    e.fail("mean of {} needs a float type", x.type().str());
  return e.wrap(detail::reduce(e.b(), op, x.id(), norm, keepdim));
}
} // namespace

Value Value::sum() const { return sum(allAxes(rank())); }
Value Value::mean() const { return mean(allAxes(rank())); }
Value Value::max() const { return max(allAxes(rank())); }
Value Value::sum(const std::vector<int64_t> &axes, bool keepdim) const {
  return reduceValue(*this, OpKind::ReduceSum, "sum", axes, keepdim);
}
Value Value::mean(const std::vector<int64_t> &axes, bool keepdim) const {
  return reduceValue(*this, OpKind::ReduceMean, "mean", axes, keepdim);
}
Value Value::max(const std::vector<int64_t> &axes, bool keepdim) const {
  return reduceValue(*this, OpKind::ReduceMax, "max", axes, keepdim);
}

Value Value::argmax(int64_t axis) const {
  Emitter e(*this, "argmax");
  int64_t a = detail::normalizeAxis(e, axis, rank());
  return e.wrap(e.b().op(OpKind::Argmax, {id()}, {{"axis", a}}));
}

// ---- elementwise --------------------------------------------------------------------

namespace {
Value binaryValue(OpKind op, const char *fn, const Value &a, const Value &b) {
  Emitter e(a, fn);
  if (&a.tracer() != &b.tracer())
    e.fail("operands come from different traces");
  return e.wrap(detail::binary(e, e.b(), op, a.id(), b.id()));
}

/// `x op c` or `c op x` with a scalar c of x's element type.
Value scalarValue(OpKind op, const char *fn, const Value &x, double c, bool scalarFirst) {
  Emitter e(x, fn);
  Shape shape = x.shape();
  ValueId k = e.b().constant(c, x.dtype(), shape);
  return e.wrap(scalarFirst ? e.b().op(op, {k, x.id()}) : e.b().op(op, {x.id(), k}));
}

Value unaryValue(OpKind op, const Value &x) {
  Emitter e(x, mnemonic(op));
  return e.wrap(e.b().op(op, {x.id()}));
}
} // namespace

Value operator+(const Value &a, const Value &b) { return binaryValue(OpKind::Add, "add", a, b); }
Value operator-(const Value &a, const Value &b) { return binaryValue(OpKind::Sub, "sub", a, b); }
Value operator*(const Value &a, const Value &b) { return binaryValue(OpKind::Mul, "mul", a, b); }
Value operator/(const Value &a, const Value &b) { return binaryValue(OpKind::Div, "div", a, b); }
Value operator+(const Value &a, double b) { return scalarValue(OpKind::Add, "add", a, b, false); }
Value operator-(const Value &a, double b) { return scalarValue(OpKind::Sub, "sub", a, b, false); }
Value operator*(const Value &a, double b) { return scalarValue(OpKind::Mul, "mul", a, b, false); }
Value operator/(const Value &a, double b) { return scalarValue(OpKind::Div, "div", a, b, false); }
Value operator+(double a, const Value &b) { return scalarValue(OpKind::Add, "add", b, a, true); }
Value operator-(double a, const Value &b) { return scalarValue(OpKind::Sub, "sub", b, a, true); }
Value operator*(double a, const Value &b) { return scalarValue(OpKind::Mul, "mul", b, a, true); }
Value operator/(double a, const Value &b) { return scalarValue(OpKind::Div, "div", b, a, true); }
Value operator-(const Value &a) { return unaryValue(OpKind::Neg, a); }

Value maximum(const Value &a, const Value &b) { return binaryValue(OpKind::Max, "maximum", a, b); }
Value minimum(const Value &a, const Value &b) { return binaryValue(OpKind::Min, "minimum", a, b); }
Value exp(const Value &x) { return unaryValue(OpKind::Exp, x); }
Value log(const Value &x) { return unaryValue(OpKind::Log, x); }
Value sqrt(const Value &x) { return unaryValue(OpKind::Sqrt, x); }
Value rsqrt(const Value &x) { return unaryValue(OpKind::Rsqrt, x); }
Value abs(const Value &x) { return unaryValue(OpKind::Abs, x); }

Value pow(const Value &x, double exponent) {
  Emitter e(x, "pow");
  Shape shape = x.shape();
  ValueId k = e.b().constant(exponent, x.dtype(), shape);
  return e.wrap(e.b().op(OpKind::Pow, {x.id(), k}));
}

Value where(const Value &condition, const Value &a, const Value &b) {
  Emitter e(a, "where");
  if (condition.dtype() != DType::Bool)
    e.fail("the condition must be bool, got {}", condition.type().str());
  if (a.dtype() != b.dtype())
    e.fail("branch element types differ: {} vs {}", a.type().str(), b.type().str());
  Shape shape = detail::broadcastShapes(e, a.type(), b.type());
  shape = detail::broadcastShapes(e, {a.dtype(), shape}, {a.dtype(), condition.shape()});
  IRBuilder &bld = e.b();
  return e.wrap(bld.select(bld.broadcastTo(condition.id(), shape), bld.broadcastTo(a.id(), shape),
                           bld.broadcastTo(b.id(), shape)));
}

Value matmul(const Value &a, const Value &b, bool transposeA, bool transposeB) {
  Emitter e(a, "matmul");
  Attrs attrs;
  if (transposeA)
    attrs.set("transpose_a", true);
  if (transposeB)
    attrs.set("transpose_b", true);
  return e.wrap(e.b().op(OpKind::Matmul, {a.id(), b.id()}, std::move(attrs)));
}

Value cat(const std::vector<Value> &values, int64_t axis) {
  if (values.empty())
    fail("cat: no values to concatenate");
  Emitter e(values[0], "cat");
  if (values.size() == 1)
    return values[0];
  std::vector<ValueId> ids;
  for (const Value &v : values)
    ids.push_back(v.id());
  int64_t a = detail::normalizeAxis(e, axis, values[0].rank());
  return e.wrap(e.b().op(OpKind::Concat, ids, {{"axis", a}}));
}

Value stack(const std::vector<Value> &values, int64_t axis) {
  if (values.empty())
    fail("stack: no values to stack");
  std::vector<Value> expanded;
  for (const Value &v : values)
    expanded.push_back(v.unsqueeze(axis));
  return cat(expanded, axis);
}

} // namespace kiln
