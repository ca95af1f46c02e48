// buildLoopNest: graph nodes -> affine loop nest with a fused expression (see header).
#include "kiln/codegen/LoopNest.h"

#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/OpGroups.h"
#include "kiln/ir/ShapeRules.h"

#include <algorithm>
#include <cassert>
#include <map>

namespace kiln::codegen {

namespace {

constexpr int64_t kMinParallelElements = 32768;
constexpr int64_t kItemGrain = 16384;

std::vector<int64_t> rowMajorStrides(const Shape &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

class NestBuilder {
public:
  NestBuilder(const Graph &graph, const StepPlan &plan, size_t stage, LoopNest &nest,
              size_t loops)
      : graph_(graph), plan_(plan), stage_(stage), nest_(nest), loops_(loops) {}

  Affine constant(int64_t value) const { return {std::vector<int64_t>(loops_, 0), value}; }
  Affine unit(size_t d) const {
    Affine a = constant(0);
    a.coef[d] = 1;
    return a;
  }
  /// sum over d of index[d] * strides[d].
  Affine dot(const std::vector<Affine> &index, const std::vector<int64_t> &strides) const {
    Affine r = constant(0);
    for (size_t d = 0; d < index.size(); ++d) {
      for (size_t l = 0; l < loops_; ++l)
        r.coef[l] += index[d].coef[l] * strides[d];
      r.offset += index[d].offset * strides[d];
    }
    return r;
  }
  Affine linear(ValueId v, const std::vector<Affine> &index) const {
    return dot(index, rowMajorStrides(graph_.type(v).shape));
  }

  /// The value of `v` at `index` (one affine per dimension of v). A value read twice
  /// at one index is one expression: a kernel's expressions are DAGs, and expanding them
  /// as trees could grow exponentially.
  int build(ValueId v, const std::vector<Affine> &index) {
    if (plan_.available(v, stage_))
      return load(v, index);
    return expand(v, index);
  }

  int load(ValueId v, const std::vector<Affine> &index) {
    Expr e{Expr::Kind::Load, graph_.type(v).dtype, v};
    e.index = linear(v, index);
    return add(std::move(e));
  }

  /// The value of node `v` computed from its operands (v itself may be materialized:
  /// this is how a kernel computes its own root). Elementwise ops share one form (the
  /// emitter computes the op); sources and layout ops rewrite the index their own way.
  int expand(ValueId v, const std::vector<Affine> &index) {
    std::vector<int64_t> key{v};
    for (const Affine &a : index) {
      key.insert(key.end(), a.coef.begin(), a.coef.end());
      key.push_back(a.offset);
    }
    if (auto it = expanded_.find(key); it != expanded_.end())
      return it->second;
    int e = expandOnce(v, index);
    expanded_[std::move(key)] = e;
    return e;
  }

private:
  int expandOnce(ValueId v, const std::vector<Affine> &index) {
    const Node &node = graph_.node(v);
    switch (opInfo(node.op).category) {
    case OpCategory::Elementwise: {
      Expr e{Expr::Kind::Op, node.type.dtype, v};
      for (ValueId operand : node.operands)
        e.operands.push_back(build(operand, index));
      return add(std::move(e));
    }
    case OpCategory::Source:
      return expandSource(*sourceOp(node.op), v, index);
    case OpCategory::Layout:
      return expandLayout(*layoutOp(node.op), v, index);
    case OpCategory::Reduction:
    case OpCategory::Contraction:
    case OpCategory::Window:
    case OpCategory::Collective:
      break;
    }
    assert(false && "a kernel's value is always materialized");
    return load(v, index);
  }

  int expandSource(SourceOp op, ValueId v, const std::vector<Affine> &index) {
    const Node &node = graph_.node(v);
    DType dtype = node.type.dtype;
    switch (op) {
    case SourceOp::Input:
    case SourceOp::State:
      break;
    case SourceOp::Constant:
      if (node.attrs.has("data"))
        return load(v, index);
      return add({Expr::Kind::Constant, dtype, v, {}, node.attrs.getFloat("value")});
    case SourceOp::Iota: {
      Expr e{Expr::Kind::Iota, dtype, v};
      e.index = index[node.attrs.getInt("axis")];
      return add(std::move(e));
    }
    case SourceOp::RandomUniform: {
      Expr e{Expr::Kind::Random, dtype, v};
      e.index = linear(v, index);
      e.index.offset += node.attrs.getInt("offset", 0); // where this rank's draws start
      e.operands = {build(node.operands[0], {})};
      return add(std::move(e));
    }
    }
    assert(false && "an argument is always materialized");
    return load(v, index);
  }

  int expandLayout(LayoutOp op, ValueId v, const std::vector<Affine> &index) {
    const Node &node = graph_.node(v);
    const Attrs &attrs = node.attrs;
    switch (op) {
    case LayoutOp::Reshape: { // same elements, same order as the operand's buffer
      const Shape &operand = graph_.type(node.operands[0]).shape;
      if (onlyUnitDims(operand, node.type.shape)) { // the same non-unit indices
        std::vector<Affine> in;
        size_t next = 0;
        for (int64_t d : operand) {
          while (next < index.size() && node.type.shape[next] == 1)
            ++next;
          in.push_back(d == 1 ? constant(0) : index[next++]);
        }
        return build(node.operands[0], in);
      }
      ValueId from = plan_.root(node.operands[0], stage_);
      if (!plan_.available(from, stage_)) // a splat: every element is the same
        return build(from, std::vector<Affine>(graph_.type(from).shape.size(), constant(0)));
      return load(from, unflatten(from, linear(v, index)));
    }
    case LayoutOp::Transpose: {
      const std::vector<int64_t> &perm = attrs.getInts("perm");
      std::vector<Affine> in(index.size());
      for (size_t i = 0; i < perm.size(); ++i)
        in[perm[i]] = index[i];
      return build(node.operands[0], in);
    }
    case LayoutOp::Broadcast: {
      const std::vector<int64_t> &dims = attrs.getInts("dims");
      const Shape &from = graph_.type(node.operands[0]).shape;
      std::vector<Affine> in;
      for (size_t i = 0; i < dims.size(); ++i)
        in.push_back(from[i] == 1 ? constant(0) : index[dims[i]]);
      return build(node.operands[0], in);
    }
    case LayoutOp::Slice: {
      SliceAttrs s = sliceAttrs(attrs);
      std::vector<Affine> in = index;
      for (size_t d = 0; d < in.size(); ++d) {
        for (int64_t &c : in[d].coef)
          c *= s.stride[d];
        in[d].offset = in[d].offset * s.stride[d] + s.start[d];
      }
      return build(node.operands[0], in);
    }
    case LayoutOp::Pad: {
      PadAttrs p = padAttrs(attrs);
      const Shape &from = graph_.type(node.operands[0]).shape;
      Expr e{Expr::Kind::Pad, node.type.dtype, v, {}, p.value};
      std::vector<Affine> in = index;
      for (size_t d = 0; d < in.size(); ++d) {
        in[d].offset -= p.low[d];
        e.guards.push_back({in[d], 0, from[d]});
      }
      e.operands = {build(node.operands[0], in)};
      return add(std::move(e));
    }
    case LayoutOp::OneHot: {
      Expr e{Expr::Kind::OneHot, node.type.dtype, v};
      e.index = index.back();
      e.operands = {build(node.operands[0], std::vector<Affine>(index.begin(), index.end() - 1))};
      return add(std::move(e));
    }
    case LayoutOp::Concat:
      break; // copied part by part (KernelKind::ConcatPart)
    }
    assert(false && "a concat is always materialized");
    return load(v, index);
  }

  /// A one-dimensional view of a materialized buffer: `offset` as its only index, for
  /// loads whose row-major offset is already known.
  std::vector<Affine> unflatten(ValueId v, const Affine &offset) const {
    size_t rank = graph_.type(v).shape.size();
    std::vector<Affine> index(rank, constant(0));
    if (rank == 0)
      return index;
    // linear(v, index) multiplies index[d] by stride[d]; put the whole offset on the
    // innermost dimension, whose stride is 1.
    index.back() = offset;
    return index;
  }

  int add(Expr e) {
    nest_.exprs.push_back(std::move(e));
    return static_cast<int>(nest_.exprs.size()) - 1;
  }

  const Graph &graph_;
  const StepPlan &plan_;
  size_t stage_;
  LoopNest &nest_;
  std::map<std::vector<int64_t>, int> expanded_; ///< (value, index) -> expression
  size_t loops_;
};

void permute(Affine &a, const std::vector<size_t> &order) {
  std::vector<int64_t> coef(order.size());
  for (size_t l = 0; l < order.size(); ++l)
    coef[l] = a.coef[order[l]];
  a.coef = std::move(coef);
}

std::vector<Affine *> affines(LoopNest &nest) {
  std::vector<Affine *> all{&nest.store};
  for (Expr &e : nest.exprs) {
    if (e.kind == Expr::Kind::Load || e.kind == Expr::Kind::Iota || e.kind == Expr::Kind::Random ||
        e.kind == Expr::Kind::OneHot)
      all.push_back(&e.index);
    for (Guard &g : e.guards)
      all.push_back(&g.index);
  }
  return all;
}

/// Merges loop d+1 into loop d wherever no affine index can tell the difference.
void coalesce(LoopNest &nest, bool keepInnermost) {
  std::vector<Affine *> all = affines(nest);
  size_t limit = keepInnermost ? 1 : 0;
  for (size_t d = nest.sizes.size() - 1; d-- > 0;) {
    if (d + 1 >= nest.sizes.size() - limit && keepInnermost)
      continue;
    bool same = std::all_of(all.begin(), all.end(), [&](const Affine *a) {
      return a->coef[d] == a->coef[d + 1] * nest.sizes[d + 1];
    });
    if (!same)
      continue;
    nest.sizes[d] *= nest.sizes[d + 1];
    nest.sizes.erase(nest.sizes.begin() + static_cast<long>(d) + 1);
    for (Affine *a : all) {
      a->coef[d] = a->coef[d + 1];
      a->coef.erase(a->coef.begin() + static_cast<long>(d) + 1);
    }
  }
}

void reorder(LoopNest &nest, const std::vector<size_t> &order) {
  Shape sizes = nest.sizes;
  for (size_t l = 0; l < order.size(); ++l)
    nest.sizes[l] = sizes[order[l]];
  for (Affine *a : affines(nest))
    permute(*a, order);
}

/// Step 4 for Sum and Max. A loop is reduced when it does not move the store (the input
/// and the output are not empty here, so every kept loop does).
void orderForAccumulation(LoopNest &nest) {
  size_t n = nest.sizes.size(), inner = n - 1;
  auto kept = [&](size_t l) { return nest.store.coef[l] != 0; };
  bool row = kept(inner);
  std::vector<size_t> order;
  for (size_t l = 0; l < n; ++l)
    if (kept(l) && !(row && l == inner))
      order.push_back(l);
  for (size_t l = 0; l < n; ++l)
    if (!kept(l))
      order.push_back(l);
  if (row)
    order.push_back(inner);
  reorder(nest, order);
  coalesce(nest, /*keepInnermost=*/false);
  nest.keptInnermost = row;
  size_t outer = nest.sizes.size() - (row ? 1 : 0);
  nest.keptLoops = 0;
  while (nest.keptLoops < outer && kept(nest.keptLoops))
    ++nest.keptLoops;
}

void sizeItems(LoopNest &nest, int workers) {
  int64_t total = 1;
  for (int64_t s : nest.sizes)
    total *= s;
  int64_t rows = nest.sizes[0], row = rows > 0 ? total / rows : 0;
  bool splittable = nest.combine == LoopNest::Combine::Store || nest.store.coef[0] != 0;
  nest.rowsPerItem = std::max<int64_t>(rows, 1);
  nest.items = 1;
  if (workers <= 1 || !splittable || total < kMinParallelElements || rows < 2)
    return;
  int64_t grain = std::max<int64_t>(kItemGrain, total / (8 * int64_t(workers)));
  nest.rowsPerItem = std::clamp<int64_t>((grain + row - 1) / std::max<int64_t>(row, 1), 1, rows);
  nest.items = (rows + nest.rowsPerItem - 1) / nest.rowsPerItem;
}

} // namespace

LoopNest buildLoopNest(const Graph &graph, const StepPlan &plan, size_t stage) {
  LoopNest nest;
  const Stage &kernel = plan.stages[stage];
  const Node &node = graph.node(kernel.value);
  nest.target = kernel.value;
  nest.targetType = node.type.dtype;
  ValueId input = kernel.kind == StageKind::Loop ? kernel.value : node.operands[kernel.part];
  const Shape &shape = graph.type(input).shape;
  size_t rank = shape.size();
  nest.sizes = rank ? shape : Shape{1};
  NestBuilder builder(graph, plan, stage, nest, nest.sizes.size());
  std::vector<Affine> index;
  for (size_t d = 0; d < rank; ++d)
    index.push_back(builder.unit(d));

  std::vector<size_t> order(nest.sizes.size());
  for (size_t l = 0; l < order.size(); ++l)
    order[l] = l;
  switch (kernel.kind) {
  case StageKind::Loop:
    nest.root = builder.expand(kernel.value, index);
    nest.store = builder.linear(kernel.value, index);
    for (ValueId v : kernel.also)
      nest.also.push_back({builder.expand(v, index), v, graph.type(v).dtype});
    break;
  case StageKind::ConcatPart: {
    nest.root = builder.build(input, index);
    int64_t axis = node.attrs.getInt("axis"), before = 0;
    for (int p = 0; p < kernel.part; ++p)
      before += graph.type(node.operands[p]).shape[axis];
    std::vector<Affine> out = index;
    out[axis].offset += before;
    nest.store = builder.linear(kernel.value, out);
    break;
  }
  case StageKind::Reduce: {
    nest.root = builder.build(input, index);
    std::vector<int64_t> axes = reducedAxes(node);
    std::vector<bool> reduced(rank, false);
    for (int64_t a : axes) {
      reduced[a] = true;
      nest.count *= shape[a];
    }
    std::vector<Affine> kept;
    for (size_t d = 0; d < rank; ++d)
      if (!reduced[d])
        kept.push_back(index[d]);
    nest.store = builder.linear(kernel.value, kept);
    nest.combine = node.op == OpKind::Argmax      ? LoopNest::Combine::Argmax
                   : node.op == OpKind::ReduceMax ? LoopNest::Combine::Max
                                                  : LoopNest::Combine::Sum;
    nest.mean = node.op == OpKind::ReduceMean;
    // Kept loops outermost (each output finished in registers), unless the innermost
    // input dimension is kept: then the inner loop adds a row into a row of outputs.
    if (rank > 0 && (node.op == OpKind::Argmax || reduced[rank - 1])) {
      order.clear();
      for (size_t d = 0; d < rank; ++d)
        if (!reduced[d])
          order.push_back(d);
      for (size_t d = 0; d < rank; ++d)
        if (reduced[d])
          order.push_back(d);
    }
    break;
  }
  default:
    assert(false && "not a loop kernel");
  }

  reorder(nest, order);
  coalesce(nest, /*keepInnermost=*/nest.combine == LoopNest::Combine::Argmax);
  bool accumulates =
      nest.combine == LoopNest::Combine::Sum || nest.combine == LoopNest::Combine::Max;
  if (accumulates && graph.type(input).numElements() > 0 && node.type.numElements() > 0)
    orderForAccumulation(nest);
  sizeItems(nest, plan.options.workers);
  return nest;
}

} // namespace kiln::codegen
