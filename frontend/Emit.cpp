#include "kiln/frontend/Emit.h"

#include <algorithm>

namespace kiln::detail {

namespace {
std::string join(const std::string &base, std::string_view fn) {
  return base.empty() ? std::string(fn) : base + "/" + std::string(fn);
}
} // namespace

Emitter::Emitter(const Value &anchor, std::string_view fn)
    : tracer_(anchor.tracer()), owner_(tracer_.functionBase(anchor.id())),
      b_(tracer_.graph(), join(owner_, fn)) {}

int64_t normalizeAxis(const Emitter &e, int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    e.fail("axis {} out of range for rank {}", axis, rank);
  return a;
}

std::vector<int64_t> normalizeAxes(const Emitter &e, std::vector<int64_t> axes, int64_t rank) {
  for (int64_t &a : axes)
    a = normalizeAxis(e, a, rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    e.fail("axis repeated in {}", shapeStr(axes));
  return axes;
}

Shape broadcastShapes(const Emitter &e, const Type &a, const Type &b) {
  size_t rank = std::max(a.shape.size(), b.shape.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align trailing dimensions; a missing leading dimension acts as 1.
    int64_t da = i < rank - a.shape.size() ? 1 : a.shape[i - (rank - a.shape.size())];
    int64_t db = i < rank - b.shape.size() ? 1 : b.shape[i - (rank - b.shape.size())];
    if (da != db && da != 1 && db != 1)
      e.fail("cannot broadcast {} with {}", a.str(), b.str());
    out[i] = da == 1 ? db : da;
  }
  return out;
}

ValueId binary(const Emitter &e, IRBuilder &b, OpKind op, ValueId x, ValueId y) {
  Type tx = b.type(x), ty = b.type(y);
  if (tx.dtype != ty.dtype)
    e.fail("{}({}, {}): element types differ", mnemonic(op), tx.str(), ty.str());
  Shape shape = broadcastShapes(e, tx, ty);
  return b.op(op, {b.broadcastTo(x, shape), b.broadcastTo(y, shape)});
}

ValueId reduce(IRBuilder &b, OpKind op, ValueId x, const std::vector<int64_t> &axes, bool keepdim) {
  if (axes.empty())
    return x;
  Shape kept = b.type(x).shape;
  ValueId r = b.op(op, {x}, {{"axes", axes}});
  if (!keepdim)
    return r;
  for (int64_t a : axes)
    kept[static_cast<size_t>(a)] = 1;
  return b.reshape(r, kept);
}

ValueId expandReduced(IRBuilder &b, ValueId reduced, const Shape &shape,
                      const std::vector<int64_t> &axes) {
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end())
      dims.push_back(i);
  return b.broadcast(reduced, shape, std::move(dims));
}

namespace {
/// x - max(x) along `axis`, broadcast back: the shift that makes exp() safe.
ValueId shifted(IRBuilder &b, ValueId x, int64_t axis) {
  Shape shape = b.type(x).shape; // a copy: appending nodes moves the graph
  ValueId m = b.op(OpKind::ReduceMax, {x}, {{"axes", std::vector<int64_t>{axis}}});
  return b.sub(x, expandReduced(b, m, shape, {axis}));
}
} // namespace

ValueId softmax(IRBuilder &b, ValueId x, int64_t axis) {
  Shape shape = b.type(x).shape; // a copy: appending nodes moves the graph
  ValueId e = b.exp(shifted(b, x, axis));
  ValueId s = b.reduceSum(e, {axis});
  return b.div(e, expandReduced(b, s, shape, {axis}));
}

ValueId logSoftmax(IRBuilder &b, ValueId x, int64_t axis) {
  Shape shape = b.type(x).shape; // a copy: appending nodes moves the graph
  ValueId z = shifted(b, x, axis);
  ValueId lse = b.log(b.reduceSum(b.exp(z), {axis}));
  return b.sub(z, expandReduced(b, lse, shape, {axis}));
}

} // namespace kiln::detail
