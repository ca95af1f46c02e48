// simplify: algebraic identities.
//
// Algorithm:
//   1. Rebuild the graph in order (GraphRewriter), so every operand a rule looks at is
//      already simplified: chains collapse in one sweep.
//   2. For each computation, try the rules below; the first that matches gives the
//      node's replacement (an existing value, or a new node with the old node's scope).
//      A replaced node stays in the graph until DCE removes it.
//
// Rules (exact unless noted):
//   identities    x*1, 1*x, x/1, x+0, 0+x, x-0, neg(neg x), select(p, x, x),
//                 select(splat p, a, b), convert to the same dtype, reshape to the same
//                 shape, identity transpose/broadcast, a full slice, a one-operand
//                 concat, a zero-width pad. x+0 -> x may turn a -0.0 sum into -0.0 where
//                 the graph computed +0.0: like XLA, kiln treats the sign of a zero as
//                 insignificant (never NaN or infinity).
//   chains        transpose(transpose x) -> one transpose (or x), reshape(reshape x) ->
//                 one reshape, broadcast(broadcast x) -> one broadcast.
//   splats        broadcast, reshape or transpose of a splat constant -> a splat
//                 constant of the result type (a splat costs nothing at any size).
//   matmul        matmul(transpose(a)) where the transpose swaps the two minor axes ->
//                 matmul(a) with transpose_a toggled; the same for b.
//   unit axes     reduce_sum/max/mean over axes that all have size 1 -> reshape.
//   integer zero  x*0 and 0*x -> 0 for integer types only: for floats x*0 is NaN when x
//                 is NaN or infinite, so the rule must not fire there.
//   disjoint sums add(a, b) where a and b are each zero except in pieces along one
//                 axis (a pad with 0 on that axis only, or a concat along it with zero
//                 constants among its parts), the pieces not overlapping -> a concat of
//                 the pieces in order, zero constants between them. Exact: each element
//                 is x + 0 (as for x+0 -> x, up to the sign of a zero). The gradient of
//                 an unrolled sequence's per-step slices is such a sum of 28 pads; as a
//                 concat each element is copied once instead of passing 28 guards.
//   relu masks    compare(x, 0, gt) -> compare(max(x, 0), 0, gt) when the graph already
//                 computes max(x, 0): both are true exactly when x > 0 (false for NaN
//                 and -0.0), and the backward pass then reads the relu's output, which
//                 it keeps anyway, instead of also keeping its input.
#include "kiln/passes/Simplify.h"

#include "kiln/ir/OpAttrs.h"
#include "kiln/passes/Rewriter.h"
#include "kiln/passes/Splat.h"

#include <algorithm>
#include <numeric>

namespace kiln {

namespace {

bool isIdentityPerm(const std::vector<int64_t> &perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i))
      return false;
  return true;
}

/// True for the permutation that swaps the two minor axes and keeps the rest.
bool swapsMinorAxes(const std::vector<int64_t> &perm) {
  size_t r = perm.size();
  if (r < 2)
    return false;
  for (size_t i = 0; i + 2 < r; ++i)
    if (perm[i] != static_cast<int64_t>(i))
      return false;
  return perm[r - 2] == static_cast<int64_t>(r - 1) && perm[r - 1] == static_cast<int64_t>(r - 2);
}

class Simplifier {
public:
  Simplifier(GraphRewriter &rw, PassContext &context) : rw_(rw), ctx_(context) {}

  std::optional<ValueId> visit(ValueId old) {
    const Node &node = rw_.source().node(old);
    if (node.operands.empty())
      return std::nullopt; // sources: no rule applies
    std::vector<ValueId> ops;
    for (ValueId v : node.operands)
      ops.push_back(rw_.mapped(v));
    if (std::optional<ValueId> v = identity(node, ops))
      return counted(v, "identities removed");
    if (std::optional<ValueId> v = chain(node, ops))
      return counted(v, "layout chains merged");
    if (std::optional<ValueId> v = splat(node, ops))
      return counted(v, "splat constants made from layout ops");
    if (std::optional<ValueId> v = matmulTranspose(node, ops))
      return counted(v, "transposes folded into matmul");
    if (std::optional<ValueId> v = unitReduction(node, ops))
      return counted(v, "reductions over unit axes made reshapes");
    if (std::optional<ValueId> v = integerZero(node, ops))
      return counted(v, "integer multiplications by zero");
    if (std::optional<ValueId> v = reluMask(node, ops))
      return counted(v, "relu masks moved onto the relu's output");
    if (std::optional<ValueId> v = disjointSum(node, ops))
      return counted(v, "sums of disjoint pieces made concats");
    return std::nullopt;
  }

private:
  const Graph &g() const { return rw_.target(); }
  const Node &def(ValueId v) const { return g().node(v); }

  std::optional<ValueId> counted(std::optional<ValueId> v, std::string_view what) {
    ctx_.count(what);
    return v;
  }

  bool isSplat(ValueId v, double value) const {
    std::optional<double> s = splatValue(g(), v);
    return s && *s == value;
  }

  ValueId emit(const Node &node, OpKind op, std::vector<ValueId> operands, Attrs attrs) {
    return rw_.add(op, std::move(operands), std::move(attrs), node.scope);
  }

  std::optional<ValueId> identity(const Node &node, const std::vector<ValueId> &ops) const {
    // Unlike the per-op concerns (shape rule, kernel, gradient), this switch has a
    // default: most ops have no identity, and a new op should not need a line here.
    switch (node.op) {
    case OpKind::Add:
      if (isSplat(ops[1], 0.0))
        return ops[0];
      if (isSplat(ops[0], 0.0))
        return ops[1];
      return std::nullopt;
    case OpKind::Sub:
      return isSplat(ops[1], 0.0) ? std::optional(ops[0]) : std::nullopt;
    case OpKind::Mul:
      if (isSplat(ops[1], 1.0))
        return ops[0];
      if (isSplat(ops[0], 1.0))
        return ops[1];
      return std::nullopt;
    case OpKind::Div:
      return isSplat(ops[1], 1.0) ? std::optional(ops[0]) : std::nullopt;
    case OpKind::Neg:
      if (def(ops[0]).op == OpKind::Neg)
        return def(ops[0]).operands[0];
      return std::nullopt;
    case OpKind::Select: {
      if (ops[1] == ops[2])
        return ops[1];
      std::optional<double> p = splatValue(g(), ops[0]);
      if (p)
        return *p != 0.0 ? ops[1] : ops[2];
      return std::nullopt;
    }
    case OpKind::Convert:
    case OpKind::Reshape:
      return g().type(ops[0]) == node.type ? std::optional(ops[0]) : std::nullopt;
    case OpKind::Transpose:
      return isIdentityPerm(node.attrs.getInts("perm")) ? std::optional(ops[0]) : std::nullopt;
    case OpKind::Broadcast: {
      const std::vector<int64_t> &dims = node.attrs.getInts("dims");
      std::vector<int64_t> iota(node.type.shape.size());
      std::iota(iota.begin(), iota.end(), 0);
      return g().type(ops[0]) == node.type && dims == iota ? std::optional(ops[0]) : std::nullopt;
    }
    case OpKind::Slice:
    case OpKind::Pad:
      return g().type(ops[0]) == node.type ? std::optional(ops[0]) : std::nullopt;
    case OpKind::Concat:
      return ops.size() == 1 ? std::optional(ops[0]) : std::nullopt;
    default:
      return std::nullopt;
    }
  }

  std::optional<ValueId> chain(const Node &node, const std::vector<ValueId> &ops) {
    const Node &inner = def(ops[0]);
    if (node.op == OpKind::Transpose && inner.op == OpKind::Transpose) {
      // Result dim i = middle dim outer[i] = operand dim inner[outer[i]].
      const std::vector<int64_t> &outer = node.attrs.getInts("perm");
      const std::vector<int64_t> &first = inner.attrs.getInts("perm");
      std::vector<int64_t> perm;
      for (int64_t p : outer)
        perm.push_back(first[static_cast<size_t>(p)]);
      ValueId x = inner.operands[0];
      if (isIdentityPerm(perm))
        return x;
      return emit(node, OpKind::Transpose, {x}, {{"perm", perm}});
    }
    if (node.op == OpKind::Reshape && inner.op == OpKind::Reshape) {
      ValueId x = inner.operands[0];
      if (g().type(x) == node.type)
        return x;
      return emit(node, OpKind::Reshape, {x}, {{"shape", node.type.shape}});
    }
    if (node.op == OpKind::Broadcast && inner.op == OpKind::Broadcast) {
      // Operand dim i -> middle dim first[i] -> result dim outer[first[i]]; sizes stay
      // valid (each step keeps a size or expands a 1), and dims stay increasing.
      const std::vector<int64_t> &outer = node.attrs.getInts("dims");
      const std::vector<int64_t> &first = inner.attrs.getInts("dims");
      std::vector<int64_t> dims;
      for (int64_t d : first)
        dims.push_back(outer[static_cast<size_t>(d)]);
      return emit(node, OpKind::Broadcast, {inner.operands[0]},
                  {{"dims", dims}, {"shape", node.type.shape}});
    }
    return std::nullopt;
  }

  std::optional<ValueId> splat(const Node &node, const std::vector<ValueId> &ops) {
    if (node.op != OpKind::Broadcast && node.op != OpKind::Reshape && node.op != OpKind::Transpose)
      return std::nullopt;
    if (!isSplatConstant(def(ops[0])))
      return std::nullopt;
    return emit(node, OpKind::Constant, {},
                splatAttrs(node.type, def(ops[0]).attrs.getFloat("value")));
  }

  std::optional<ValueId> matmulTranspose(const Node &node, const std::vector<ValueId> &ops) {
    if (node.op != OpKind::Matmul)
      return std::nullopt;
    MatmulAttrs mm = matmulAttrs(node.attrs);
    bool flags[2] = {mm.transposeA, mm.transposeB};
    std::vector<ValueId> operands = ops;
    bool folded = false;
    for (int i = 0; i < 2; ++i) {
      const Node &t = def(ops[i]);
      if (t.op == OpKind::Transpose && swapsMinorAxes(t.attrs.getInts("perm"))) {
        operands[i] = t.operands[0];
        flags[i] = !flags[i];
        folded = true;
      }
    }
    if (!folded)
      return std::nullopt;
    Attrs attrs;
    for (const auto &[key, value] : node.attrs)
      if (key != "transpose_a" && key != "transpose_b")
        attrs.set(key, value);
    if (flags[0])
      attrs.set("transpose_a", true);
    if (flags[1])
      attrs.set("transpose_b", true);
    return emit(node, OpKind::Matmul, std::move(operands), std::move(attrs));
  }

  std::optional<ValueId> unitReduction(const Node &node, const std::vector<ValueId> &ops) {
    if (node.op != OpKind::ReduceSum && node.op != OpKind::ReduceMax &&
        node.op != OpKind::ReduceMean)
      return std::nullopt;
    const Shape &in = g().type(ops[0]).shape;
    for (int64_t a : node.attrs.getInts("axes"))
      if (in[static_cast<size_t>(a)] != 1)
        return std::nullopt;
    return emit(node, OpKind::Reshape, {ops[0]}, {{"shape", node.type.shape}});
  }

  std::optional<ValueId> integerZero(const Node &node, const std::vector<ValueId> &ops) {
    if (node.op != OpKind::Mul || isFloat(node.type.dtype))
      return std::nullopt;
    if (!isSplat(ops[0], 0.0) && !isSplat(ops[1], 0.0))
      return std::nullopt;
    return emit(node, OpKind::Constant, {}, splatAttrs(node.type, 0.0));
  }

  std::optional<ValueId> reluMask(const Node &node, const std::vector<ValueId> &ops) {
    if (node.op != OpKind::Compare || node.attrs.getString("direction") != "gt" ||
        !isSplat(ops[1], 0.0) || def(ops[0]).op == OpKind::Max)
      return std::nullopt;
    for (size_t i = 0; i < g().size(); ++i) {
      const Node &n = g().node(static_cast<ValueId>(i));
      if (n.op != OpKind::Max)
        continue;
      bool relu = (n.operands[0] == ops[0] && isSplat(n.operands[1], 0.0)) ||
                  (n.operands[1] == ops[0] && isSplat(n.operands[0], 0.0));
      if (relu)
        return emit(node, OpKind::Compare, {static_cast<ValueId>(i), ops[1]}, node.attrs);
    }
    return std::nullopt;
  }

  /// A value that is zero except in pieces along `axis`: (offset along the axis, value).
  struct Pieces {
    int64_t axis = -1;
    std::vector<std::pair<int64_t, ValueId>> parts;
  };

  std::optional<Pieces> pieces(ValueId v) const {
    const Node &n = def(v);
    if (n.op == OpKind::Pad) {
      PadAttrs p = padAttrs(n.attrs);
      if (p.value != 0.0)
        return std::nullopt;
      int64_t axis = -1;
      for (size_t d = 0; d < p.low.size(); ++d)
        if (p.low[d] != 0 || p.high[d] != 0) {
          if (axis >= 0 || p.low[d] < 0 || p.high[d] < 0)
            return std::nullopt; // padded along two axes, or cut
          axis = static_cast<int64_t>(d);
        }
      if (axis < 0)
        return std::nullopt;
      return Pieces{axis, {{p.low[static_cast<size_t>(axis)], n.operands[0]}}};
    }
    if (n.op == OpKind::Concat) {
      Pieces result{n.attrs.getInt("axis"), {}};
      int64_t at = 0;
      for (ValueId part : n.operands) {
        if (!isSplat(part, 0.0))
          result.parts.push_back({at, part});
        at += g().type(part).shape[static_cast<size_t>(result.axis)];
      }
      return result;
    }
    return std::nullopt;
  }

  std::optional<ValueId> disjointSum(const Node &node, const std::vector<ValueId> &ops) {
    if (node.op != OpKind::Add)
      return std::nullopt;
    std::optional<Pieces> a = pieces(ops[0]), b = pieces(ops[1]);
    if (!a || !b || a->axis != b->axis)
      return std::nullopt;
    auto axis = static_cast<size_t>(a->axis);
    std::vector<std::pair<int64_t, ValueId>> parts = a->parts;
    parts.insert(parts.end(), b->parts.begin(), b->parts.end());
    std::sort(parts.begin(), parts.end());
    std::vector<ValueId> operands;
    int64_t at = 0;
    auto zeros = [&](int64_t size) {
      Shape shape = node.type.shape;
      shape[axis] = size;
      operands.push_back(emit(node, OpKind::Constant, {}, splatAttrs({node.type.dtype, shape}, 0.0)));
    };
    for (auto [offset, part] : parts) {
      if (offset < at)
        return std::nullopt; // pieces overlap
      if (offset > at)
        zeros(offset - at);
      operands.push_back(part);
      at = offset + g().type(part).shape[axis];
    }
    if (at < node.type.shape[axis])
      zeros(node.type.shape[axis] - at);
    return emit(node, OpKind::Concat, std::move(operands), {{"axis", a->axis}});
  }

  GraphRewriter &rw_;
  PassContext &ctx_;
};

} // namespace

bool simplifyGraph(Graph &graph, PassContext &context) {
  bool changed = false;
  Graph result = rebuildGraph(graph, [&](GraphRewriter &rw, ValueId old) {
    Simplifier s(rw, context);
    std::optional<ValueId> v = s.visit(old);
    changed |= v.has_value();
    return v;
  });
  if (changed)
    graph = std::move(result);
  return changed;
}

} // namespace kiln
