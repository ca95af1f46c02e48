// constfold: evaluates constant subgraphs.
//
// Layering: folding evaluates nodes with runtime/interp's evalNode, so a folded value is
// by construction what the interpreter (the oracle) would have computed at step time.
// kiln_passes therefore links kiln_interp; that library depends only on kiln_ir and
// kiln_tensor, so there is no cycle (kiln_train, which uses both, sits above them).
//
// Algorithm:
//   1. Rebuild the graph in order. A computation (not a source) whose operands are all
//      constants (`constant` or `iota` nodes, after earlier folds) is a candidate.
//   2. Splat fast path: an elementwise op whose operands are all splats is evaluated on
//      one element; a layout op (broadcast, reshape, transpose, slice, concat, pad) of
//      splats of one value is that splat. No size limit: the result is one number.
//   3. Otherwise the operands are materialized (each at most kMaxFoldInputElements) and
//      the node is evaluated with evalNode. A result whose elements are all equal becomes
//      a splat; one of at most kMaxFoldedElements a `data` constant; a larger one is
//      left alone.
//   4. Constants are canonicalized: a `data` constant whose elements are all equal
//      becomes a splat, and a splat's value is rounded to its dtype (0.1 in f32 becomes
//      0.10000000149011612), so CSE sees equal constants as equal.
#include "kiln/passes/ConstantFold.h"

#include "kiln/ir/OpAttrs.h"
#include "kiln/passes/Rewriter.h"
#include "kiln/passes/Splat.h"
#include "kiln/runtime/interp/Kernels.h"

#include <cmath>
#include <cstring>

namespace kiln {

namespace {

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

bool isConstantSource(const Node &node) {
  return node.op == OpKind::Constant || node.op == OpKind::Iota;
}

/// True when every element of `t` equals the first (NaN equals NaN, -0.0 differs from 0.0).
bool uniform(const Tensor &t) {
  if (t.numElements() == 0)
    return false;
  double first = t.at(0);
  for (int64_t i = 1; i < t.numElements(); ++i) {
    double x = t.at(i);
    if (!(sameBits(x, first) || (std::isnan(x) && std::isnan(first))))
      return false;
  }
  return true;
}

class Folder {
public:
  Folder(GraphRewriter &rw, PassContext &context) : rw_(rw), ctx_(context) {}

  std::optional<ValueId> visit(ValueId old) {
    const Node &node = rw_.source().node(old);
    if (node.op == OpKind::Constant)
      return canonical(node);
    // A collective's value depends on the other ranks' operands: only a step can know it.
    OpCategory category = opInfo(node.op).category;
    if (category == OpCategory::Source || category == OpCategory::Collective ||
        node.operands.empty())
      return std::nullopt;
    std::vector<ValueId> ops;
    for (ValueId v : node.operands) {
      ops.push_back(rw_.mapped(v));
      if (!isConstantSource(g().node(ops.back())))
        return std::nullopt;
    }
    if (std::optional<ValueId> v = splatFold(node, ops)) {
      ctx_.count("nodes folded to splats");
      return v;
    }
    return tensorFold(node, ops);
  }

private:
  const Graph &g() const { return rw_.target(); }

  ValueId splat(const Node &node, double value) {
    return rw_.add(OpKind::Constant, {}, splatAttrs(node.type, value), node.scope);
  }

  std::optional<ValueId> canonical(const Node &node) {
    if (node.attrs.has("data")) {
      Tensor t = evalNode(node, {});
      if (!uniform(t))
        return std::nullopt;
      ctx_.count("data constants made splats");
      return splat(node, t.at(0));
    }
    double value = node.attrs.getFloat("value");
    double rounded = Tensor::full(Type{node.type.dtype, {}}, value).at(0);
    if (sameBits(value, rounded) || (std::isnan(value) && std::isnan(rounded)))
      return std::nullopt;
    ctx_.count("splat values rounded to their dtype");
    return splat(node, rounded);
  }

  std::optional<ValueId> splatFold(const Node &node, const std::vector<ValueId> &ops) {
    std::vector<double> values;
    for (ValueId v : ops) {
      if (!isSplatConstant(g().node(v)))
        return std::nullopt;
      values.push_back(g().node(v).attrs.getFloat("value"));
    }
    OpCategory category = opInfo(node.op).category;
    if (category == OpCategory::Elementwise) {
      Node scalar = node;
      scalar.type.shape = {};
      std::vector<Tensor> operands;
      for (ValueId v : ops)
        operands.push_back(
            Tensor::full(Type{g().type(v).dtype, {}}, g().node(v).attrs.getFloat("value")));
      return splat(node, evalNode(scalar, operands).at(0));
    }
    bool layout = node.op == OpKind::Broadcast || node.op == OpKind::Reshape ||
                  node.op == OpKind::Transpose || node.op == OpKind::Slice ||
                  node.op == OpKind::Concat || node.op == OpKind::Pad;
    if (!layout)
      return std::nullopt;
    for (double v : values)
      if (!sameBits(v, values[0]))
        return std::nullopt;
    if (node.op == OpKind::Pad) {
      // The padding is converted to the dtype like every element.
      double pad = Tensor::full(Type{node.type.dtype, {}}, padAttrs(node.attrs).value).at(0);
      if (!sameBits(pad, values[0]) && node.type.numElements() != g().type(ops[0]).numElements())
        return std::nullopt;
    }
    return splat(node, values[0]);
  }

  std::optional<ValueId> tensorFold(const Node &node, const std::vector<ValueId> &ops) {
    std::vector<Tensor> operands;
    for (ValueId v : ops) {
      if (g().type(v).numElements() > kMaxFoldInputElements)
        return std::nullopt;
      operands.push_back(evalNode(g().node(v), {}));
    }
    // Estimate before evaluating: a result too big for `data` is only worth computing
    // when it might be uniform, and even then only up to the input bound.
    if (node.type.numElements() > kMaxFoldInputElements)
      return std::nullopt;
    Tensor result = evalNode(node, operands);
    if (uniform(result)) {
      ctx_.count("nodes folded to splats");
      return splat(node, result.at(0));
    }
    if (result.numElements() > kMaxFoldedElements) {
      ctx_.count("folds skipped by the size cap");
      return std::nullopt;
    }
    std::vector<double> data(static_cast<size_t>(result.numElements()));
    for (int64_t i = 0; i < result.numElements(); ++i)
      data[static_cast<size_t>(i)] = result.at(i);
    ctx_.count("nodes folded to data constants");
    return rw_.add(OpKind::Constant, {},
                   Attrs{{"data", std::move(data)},
                         {"dtype", std::string(dtypeName(node.type.dtype))},
                         {"shape", node.type.shape}},
                   node.scope);
  }

  GraphRewriter &rw_;
  PassContext &ctx_;
};

} // namespace

bool constantFold(Graph &graph, PassContext &context) {
  bool changed = false;
  Graph result = rebuildGraph(graph, [&](GraphRewriter &rw, ValueId old) {
    std::optional<ValueId> v = Folder(rw, context).visit(old);
    changed |= v.has_value();
    return v;
  });
  if (changed)
    graph = std::move(result);
  return changed;
}

} // namespace kiln
