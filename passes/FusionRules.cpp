// The fusion rules: which sets of nodes may form one kernel.
//
// A member of a kernel is *heavy* when it computes something: not an inline source
// (splat constant, iota) and not a layout op over non-heavy values. Non-heavy members
// are index arithmetic over buffers (a broadcast bias, a reshaped input) and are allowed
// anywhere; the rules constrain the heavy ones.
//
//   R0 collective kernels: an all_reduce alone, from a buffer into a buffer (the call
//      hands the whole buffer to a bucket reduced over the ranks; nothing can run
//      inside it).
//   R1 anchor kernels (matmul, conv, window): exactly one contraction or window op (the
//      anchor) and no reduction. Every other heavy member is elementwise with the
//      anchor's result shape S: the epilogue (bias, activation, scale, residual add,
//      dropout mask, an optimizer update of a weight from its gradient). The anchor's
//      operands are buffers, inline values, or a reshape of a buffer (a view). Every
//      output has shape S.
//   R2 reduction kernels: one reduction's (operand shape F, axes A) gives the loop
//      structure, rows R = F without A, evaluated row by row. Every heavy member has
//      shape F (full), R (row) or [] (total). A reduction reads a full value over A (a
//      row), or reduces a full or row value over all its axes (a total, accumulated
//      across rows: the mean of a per-example loss). A broadcast of a heavy value goes
//      row -> full along the kept axes (the multipass pattern of softmax, log-softmax +
//      NLL and batch norm); other layout ops read only non-heavy values. Outputs have a
//      level's shape. No contraction or window op.
//   R3 loop kernels: elementwise and layout ops; all outputs have one shape. A layout op
//      that repeats elements (broadcast, one_hot) reads only non-heavy values, so no
//      heavy value is recomputed per copy.
//   R4 state updates: if the kernel writes the new value of a state s and also reads s,
//      everything that depends on s inside the kernel is elementwise with s's shape. So
//      element i of the new value depends only on element i of the old one, and the
//      kernel may overwrite s in place (memory planning relies on this). A reduction, a
//      broadcast or a contraction of s is never fused with the update of s.
//   R5 random_uniform reads its counter from a buffer or an inline value, never from a
//      heavy member (it would be recomputed per element).
#include "kiln/passes/FusionRules.h"

#include "kiln/ir/OpAttrs.h"

#include <algorithm>
#include <numeric>

namespace kiln::fusion {

NodeClass nodeClass(const Node &node) {
  const OpInfo &info = opInfo(node.op);
  switch (info.category) {
  case OpCategory::Source:
    if (isArgument(node.op))
      return NodeClass::Argument;
    if (node.op == OpKind::Constant && node.attrs.has("data"))
      return NodeClass::ConstantData;
    // A splat or an iota is index arithmetic; a random draw is computed per element.
    return info.cost == OpCost::Free ? NodeClass::Inline : NodeClass::Elementwise;
  case OpCategory::Elementwise:
    return NodeClass::Elementwise;
  case OpCategory::Reduction:
    return NodeClass::Reduction;
  case OpCategory::Contraction:
    return NodeClass::Contraction;
  case OpCategory::Window:
    return NodeClass::Window;
  case OpCategory::Layout:
    return NodeClass::Layout;
  case OpCategory::Collective:
    return NodeClass::Collective;
  }
  return NodeClass::Elementwise;
}

bool recomputable(const Node &node) {
  NodeClass c = nodeClass(node);
  return c == NodeClass::Inline || (c == NodeClass::Layout && opInfo(node.op).cost == OpCost::Free);
}

namespace {

/// The reduced axes, sorted.
std::vector<int64_t> sortedAxes(const Node &node) {
  std::vector<int64_t> axes = reducedAxes(node);
  std::sort(axes.begin(), axes.end());
  return axes;
}

Shape keptShape(const Shape &full, const std::vector<int64_t> &axes) {
  Shape kept;
  for (size_t i = 0; i < full.size(); ++i)
    if (!std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(i)))
      kept.push_back(full[i]);
  return kept;
}

std::vector<int64_t> keptDims(size_t rank, const std::vector<int64_t> &axes) {
  std::vector<int64_t> dims;
  for (size_t i = 0; i < rank; ++i)
    if (!std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(i)))
      dims.push_back(static_cast<int64_t>(i));
  return dims;
}

class Checker {
public:
  explicit Checker(const KernelView &view) : v_(view), g_(view.graph) {
    for (ValueId m : v_.members) {
      const Node &n = g_.node(m);
      NodeClass c = nodeClass(n);
      bool h = c != NodeClass::Inline;
      if (c == NodeClass::Layout) {
        h = false;
        for (ValueId o : n.operands)
          h |= heavy(o);
      }
      if (h)
        heavy_.push_back(m);
    }
  }

  std::optional<KernelShape> check() const {
    if (!statesOk() || !randomOk())
      return std::nullopt;
    std::vector<ValueId> anchors, reductions;
    for (ValueId m : heavy_)
      if (nodeClass(g_.node(m)) == NodeClass::Collective)
        return collectiveKernel(m);
    for (ValueId m : heavy_) {
      NodeClass c = nodeClass(g_.node(m));
      if (isAnchor(g_.node(m).op))
        anchors.push_back(m);
      if (c == NodeClass::Reduction)
        reductions.push_back(m);
    }
    if (anchors.size() > 1 || (!anchors.empty() && !reductions.empty()))
      return std::nullopt;
    if (!anchors.empty())
      return anchorKernel(anchors[0]);
    if (!reductions.empty()) {
      // Try the largest iteration space first: it is the one the others can fit in.
      std::stable_sort(reductions.begin(), reductions.end(), [&](ValueId a, ValueId b) {
        return operandShape(a, 0).size() > operandShape(b, 0).size() ||
               (operandShape(a, 0).size() == operandShape(b, 0).size() &&
                numElements(operandShape(a, 0)) > numElements(operandShape(b, 0)));
      });
      for (ValueId r : reductions)
        if (std::optional<KernelShape> k = reductionKernel(r))
          return k;
      return std::nullopt;
    }
    return loopKernel();
  }

private:
  bool member(ValueId v) const { return v_.isMember(v); }
  bool heavy(ValueId v) const {
    return member(v) && std::binary_search(heavy_.begin(), heavy_.end(), v);
  }
  const Shape &shape(ValueId v) const { return g_.type(v).shape; }
  const Shape &operandShape(ValueId v, size_t i) const { return shape(g_.node(v).operands[i]); }
  std::vector<ValueId> outputs() const {
    std::vector<ValueId> out;
    for (ValueId m : v_.members)
      if (v_.isOutput(m))
        out.push_back(m);
    return out;
  }

  /// R1.
  std::optional<KernelShape> anchorKernel(ValueId anchor) const {
    const Node &a = g_.node(anchor);
    const Shape &s = a.type.shape;
    for (ValueId o : a.operands) {
      if (!member(o) || nodeClass(g_.node(o)) == NodeClass::Inline)
        continue;
      const Node &on = g_.node(o);
      if (on.op != OpKind::Reshape || member(on.operands[0]))
        return std::nullopt;
    }
    for (ValueId m : heavy_) {
      if (m == anchor)
        continue;
      if (nodeClass(g_.node(m)) != NodeClass::Elementwise || shape(m) != s)
        return std::nullopt;
    }
    for (ValueId o : outputs())
      if (shape(o) != s)
        return std::nullopt;
    KernelKind kind = KernelKind::Window;
    if (a.op == OpKind::Matmul)
      kind = KernelKind::Matmul;
    else if (nodeClass(a) == NodeClass::Contraction)
      kind = KernelKind::Conv;
    return KernelShape{kind, s, {}, anchor};
  }

  /// R0: a collective alone, between buffers. Its call hands a whole buffer to an
  /// all-reduce bucket (codegen/Buckets.h) once per step, so nothing can be computed
  /// inside it.
  std::optional<KernelShape> collectiveKernel(ValueId c) const {
    if (heavy_.size() != 1 || member(g_.node(c).operands[0]) || outputs() != std::vector{c})
      return std::nullopt;
    return KernelShape{KernelKind::Collective, shape(c), {}, c};
  }

  /// R2 with the loop structure of reduction `r`.
  std::optional<KernelShape> reductionKernel(ValueId r) const {
    const Shape &full = operandShape(r, 0);
    std::vector<int64_t> axes = sortedAxes(g_.node(r));
    Shape row = keptShape(full, axes);
    auto level = [&](const Shape &sh) { return sh == full || sh == row || sh.empty(); };
    for (ValueId m : heavy_) {
      const Node &n = g_.node(m);
      if (!level(n.type.shape))
        return std::nullopt;
      switch (nodeClass(n)) {
      case NodeClass::Elementwise:
        break; // operands have the node's shape, hence its level
      case NodeClass::Reduction: {
        const Shape &in = operandShape(m, 0);
        std::vector<int64_t> mine = sortedAxes(n), all(in.size());
        std::iota(all.begin(), all.end(), 0);
        bool perRow = in == full && mine == axes;
        bool total = mine == all && (in == full || in == row);
        if (!perRow && !total)
          return std::nullopt;
        break;
      }
      case NodeClass::Layout:
        if (n.op != OpKind::Broadcast || n.type.shape != full || shape(n.operands[0]) != row ||
            n.attrs.getInts("dims") != keptDims(full.size(), axes))
          return std::nullopt;
        break;
      case NodeClass::Argument:
      case NodeClass::Inline:
      case NodeClass::ConstantData:
      case NodeClass::Contraction:
      case NodeClass::Window:
      case NodeClass::Collective:
        return std::nullopt;
      }
    }
    for (ValueId o : outputs())
      if (!level(shape(o)))
        return std::nullopt;
    return KernelShape{KernelKind::Reduction, full, axes, r};
  }

  /// R3.
  std::optional<KernelShape> loopKernel() const {
    for (ValueId m : heavy_) {
      const Node &n = g_.node(m);
      NodeClass c = nodeClass(n);
      if (c != NodeClass::Elementwise && c != NodeClass::Layout)
        return std::nullopt;
      if ((n.op == OpKind::Broadcast || n.op == OpKind::OneHot) &&
          n.type.numElements() > g_.type(n.operands[0]).numElements())
        return std::nullopt;
    }
    std::vector<ValueId> outs = outputs();
    if (outs.empty())
      return std::nullopt;
    for (ValueId o : outs)
      if (shape(o) != shape(outs.front()))
        return std::nullopt;
    return KernelShape{KernelKind::Loop, shape(outs.front()), {}, outs.back()};
  }

  /// R4.
  bool statesOk() const {
    for (ValueId m : v_.members) {
      if (!v_.isOutput(m))
        continue;
      for (ValueId s : v_.statesUpdatedBy[m]) {
        std::vector<ValueId> tainted;
        for (ValueId x : v_.members) {
          const Node &n = g_.node(x);
          bool t = false;
          for (ValueId o : n.operands)
            t |= o == s || std::binary_search(tainted.begin(), tainted.end(), o);
          if (!t)
            continue;
          if (nodeClass(n) != NodeClass::Elementwise || n.op == OpKind::RandomUniform ||
              n.type.shape != shape(s))
            return false;
          tainted.push_back(x); // members are sorted, so tainted stays sorted
        }
      }
    }
    return true;
  }

  /// R5.
  bool randomOk() const {
    for (ValueId m : heavy_)
      if (g_.node(m).op == OpKind::RandomUniform && heavy(g_.node(m).operands[0]))
        return false;
    return true;
  }

  const KernelView &v_;
  const Graph &g_;
  std::vector<ValueId> heavy_; ///< sorted
};

} // namespace

std::optional<KernelShape> checkKernel(const KernelView &view) { return Checker(view).check(); }

} // namespace kiln::fusion
