// Where a model graph holds its batch.
//
// The batch is a factor of a value's row-major index: a value with the batch at
// BatchDim{axis, outer} is indexed [before x batch x after], where `before` is the
// product of the dimensions ahead of `axis` times `outer`. A reshape keeps the row-major
// index, so it keeps `before`; that is how the batch is followed through reshapes that
// move it to another dimension ([B, 128] -> [1, B, 128]), merge it with another
// ([B, heads, ...] -> [B * heads, ...]) or split it off again.
//
// batchLayout:
//   1. The input holds the batch in dimension 0.
//   2. Forward, in graph order: each op's rule maps its operands' batch dimensions to its
//      result's (a transpose moves it, a reduction over it removes it, a reshape finds
//      `before` again) and requires the operands that must share it (an elementwise op's
//      splats and masks, the other side of a concat or a batched matmul) to hold it too.
//   3. Backward, in reverse order: a value that must hold the batch passes the
//      requirement to its operands (a broadcast splat to nothing, a reshape to its
//      operand), down to the constants, iotas and random draws whose `shape` spells it.
//   4. Steps 2 and 3 repeat until nothing changes. A value asked to hold the batch in
//      two places, a state or an input asked to hold it at all, a slice through it, a
//      convolution or pooling over it: each is a RebatchError naming the node. In a
//      graph written at batch 1 a state of size 1 where the batch is expected is shared
//      by the examples: the node that asks reads it through a broadcast.
// A channel count equal to the batch (icnn: 64 channels at batch 64) is never asked to
// hold it: requirements travel along the dimension that holds the batch only. A splat
// spelled with the batch and summed over dimension 0 counts the examples (batch norm's
// n / (n - 1)), so it holds the batch there.
#include "kiln/frontend/BatchLayout.h"

#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/OpGroups.h"

#include <algorithm>

namespace kiln {

namespace {

using Dims = std::vector<std::optional<BatchDim>>;

/// The product of shape[0, axis).
int64_t prefix(const Shape &shape, int64_t axis) {
  int64_t p = 1;
  for (int64_t d = 0; d < axis; ++d)
    p *= shape[static_cast<size_t>(d)];
  return p;
}

/// The dimension of `shape` that holds a batch of `batch` with `before` index positions
/// ahead of it, if one does: the first whose preceding product divides `before` and
/// whose size is a multiple of the rest of `before` times the batch. For a batch above
/// one there is at most one; at batch 1 the first is the outermost.
std::optional<BatchDim> locate(const Shape &shape, int64_t before, int64_t batch) {
  int64_t p = 1;
  for (size_t d = 0; d < shape.size() && p <= before && shape[d] > 0; ++d) {
    if (before % p == 0 && shape[d] % (before / p * batch) == 0)
      return BatchDim{static_cast<int64_t>(d), before / p};
    p *= shape[d];
  }
  return std::nullopt;
}

std::string where(const BatchDim &d) {
  return d.outer == 1 ? fmt::format("dimension {}", d.axis)
                      : fmt::format("dimension {} (after {} blocks of it)", d.axis, d.outer);
}

class Analysis {
public:
  Analysis(const Graph &graph, ValueId input)
      : g_(graph), batch_(graph.type(input).shape.at(0)), dims_(graph.size()) {
    dims_[static_cast<size_t>(input)] = BatchDim{0, 1};
  }

  BatchLayout run() {
    do {
      changed_ = false;
      for (size_t i = 0; i < g_.size(); ++i)
        forward(static_cast<ValueId>(i));
      for (size_t i = g_.size(); i-- > 0;)
        backward(static_cast<ValueId>(i));
    } while (changed_);
    return {std::move(dims_), std::move(broadcasts_)};
  }

private:
  const Node &node(ValueId v) const { return g_.node(v); }
  const Shape &shape(ValueId v) const { return g_.type(v).shape; }
  const std::optional<BatchDim> &dim(ValueId v) const { return dims_[static_cast<size_t>(v)]; }
  /// The factor of dim(v)'s dimension after the batch.
  int64_t inner(ValueId v) const {
    const BatchDim &d = *dim(v);
    return shape(v)[static_cast<size_t>(d.axis)] / (d.outer * batch_);
  }
  /// The index positions ahead of the batch in v's row-major order.
  int64_t before(ValueId v) const { return prefix(shape(v), dim(v)->axis) * dim(v)->outer; }

  std::string describe(ValueId v) const {
    const Node &n = node(v);
    if (!n.name.empty())
      return fmt::format("%{} : {}", n.name, n.type.str());
    return fmt::format("{}{}{} : {}", mnemonic(n.op), n.scope.empty() ? "" : " @", n.scope,
                       n.type.str());
  }

  /// Throws RebatchError for node `at`: "op @scope: why".
  [[noreturn]] void refuse(ValueId at, const std::string &why) const {
    const Node &n = node(at);
    throw RebatchError(
        at, fmt::format("{}{}{}: {}", mnemonic(n.op), n.scope.empty() ? "" : " @", n.scope, why));
  }

  /// Records that `v` holds the batch at `d`, as node `by` needs.
  void require(ValueId v, BatchDim d, ValueId by) {
    const Shape &s = shape(v);
    if (d.axis < 0 || d.axis >= static_cast<int64_t>(s.size()) || d.outer < 1 ||
        s[static_cast<size_t>(d.axis)] % (d.outer * batch_) != 0)
      refuse(by,
             fmt::format("{} cannot hold the batch of {} in {}", describe(v), batch_, where(d)));
    std::optional<BatchDim> &slot = dims_[static_cast<size_t>(v)];
    if (slot) {
      if (*slot != d)
        refuse(by, fmt::format("{} would hold the batch in {} here, and holds it in {}",
                               describe(v), where(d), where(*slot)));
      return;
    }
    const Node &n = node(v);
    bool fixed = n.op == OpKind::State || n.op == OpKind::Input ||
                 (n.op == OpKind::Constant && n.attrs.has("data"));
    if (fixed && batch_ == 1 && v != by && d.outer == 1 &&
        shape(v)[static_cast<size_t>(d.axis)] == 1) {
      // At batch 1 a value of size 1 may be shared by every example: `by` reads it
      // broadcast.
      broadcasts_.try_emplace({by, v}, d);
      return;
    }
    if (n.op == OpKind::State || n.op == OpKind::Input)
      refuse(by, fmt::format("{} would have to grow with the batch in {}; {} keeps its size",
                             describe(v), where(d), mnemonic(n.op)));
    if (fixed)
      refuse(by, fmt::format("{} lists its elements, so it cannot grow with the batch in {}",
                             describe(v), where(d)));
    slot = d;
    changed_ = true;
  }

  /// The one batch dimension the operands that hold one agree on (elementwise operands,
  /// the pair of a pooling gradient).
  std::optional<BatchDim> agreed(ValueId i) const {
    std::optional<BatchDim> d;
    for (ValueId operand : node(i).operands)
      if (dim(operand)) {
        if (d && *d != *dim(operand))
          refuse(i, fmt::format("its operands hold the batch in {} and in {}", where(*d),
                                where(*dim(operand))));
        d = dim(operand);
      }
    return d;
  }

  /// Matmul's dimensions: a's M and K, b's K and N (after transposes).
  struct MatmulAxes {
    int64_t rank, aM, aK, bK, bN;
  };
  MatmulAxes matmulAxes(const Node &n) const {
    auto [ta, tb] = matmulAttrs(n.attrs);
    int64_t r = static_cast<int64_t>(shape(n.operands[0]).size());
    return {r, ta ? r - 1 : r - 2, ta ? r - 2 : r - 1, tb ? r - 1 : r - 2, tb ? r - 2 : r - 1};
  }

  /// The batch dimension of a slice of `x` along `d`, or a refusal: the slice must keep
  /// whole blocks of the batch (all of it, or some of the `outer` blocks).
  BatchDim sliced(ValueId i, ValueId x, BatchDim d, int64_t in) const {
    SliceAttrs s = sliceAttrs(node(i).attrs);
    size_t a = static_cast<size_t>(d.axis);
    int64_t block = batch_ * in;
    if (s.stride[a] != 1 || s.start[a] % block != 0 || s.limit[a] % block != 0 ||
        shape(x)[a] % block != 0)
      refuse(i, fmt::format("it slices [{}, {}) with stride {} out of dimension {}, which "
                            "holds the batch in blocks of {}: not whole blocks of the batch",
                            s.start[a], s.limit[a], s.stride[a], d.axis, block));
    return {d.axis, (s.limit[a] - s.start[a]) / block};
  }

  void forward(ValueId i);
  void forwardContraction(ValueId i, ContractionOp op);
  void forwardWindow(ValueId i, WindowOp op);
  void forwardLayout(ValueId i, LayoutOp op);
  void backward(ValueId i);
  void backwardLayout(ValueId i, LayoutOp op, BatchDim d);

  const Graph &g_;
  int64_t batch_;
  Dims dims_;
  std::map<std::pair<ValueId, ValueId>, BatchDim> broadcasts_;
  bool changed_ = false;
};

void Analysis::forward(ValueId i) {
  const Node &n = node(i);
  const std::vector<ValueId> &ops = n.operands;
  switch (opInfo(n.op).category) {
  case OpCategory::Source:
    return;
  case OpCategory::Elementwise:
  case OpCategory::Collective: // elementwise across ranks: the batch dim stays where it is
    if (std::optional<BatchDim> d = agreed(i)) {
      require(i, *d, i);
      for (ValueId operand : ops)
        require(operand, *d, i);
    }
    return;
  case OpCategory::Reduction: {
    std::vector<int64_t> axes = reducedAxes(n);
    ValueId x = ops[0];
    if (!dim(x)) {
      // A splat spelled with the batch and summed over dimension 0 counts the examples.
      const Node &src = node(x);
      bool splat = (src.op == OpKind::Constant && !src.attrs.has("data")) ||
                   (src.op == OpKind::Broadcast && shape(src.operands[0]).empty());
      if (splat && std::find(axes.begin(), axes.end(), 0) != axes.end() &&
          shape(x)[0] % batch_ == 0)
        require(x, {0, 1}, i);
      return;
    }
    BatchDim d = *dim(x);
    if (std::find(axes.begin(), axes.end(), d.axis) != axes.end()) {
      if (dim(i))
        refuse(i, fmt::format("it reduces the batch away, yet its result must hold it in {}",
                              where(*dim(i))));
      return;
    }
    int64_t removed =
        std::count_if(axes.begin(), axes.end(), [&](int64_t a) { return a < d.axis; });
    require(i, {d.axis - removed, d.outer}, i);
    return;
  }
  case OpCategory::Contraction:
    forwardContraction(i, *contractionOp(n.op));
    return;
  case OpCategory::Window:
    forwardWindow(i, *windowOp(n.op));
    return;
  case OpCategory::Layout:
    forwardLayout(i, *layoutOp(n.op));
    return;
  }
}

void Analysis::forwardContraction(ValueId i, ContractionOp op) {
  const Node &n = node(i);
  const std::vector<ValueId> &ops = n.operands;
  switch (op) {
  case ContractionOp::Matmul: {
    MatmulAxes m = matmulAxes(n);
    ValueId a = ops[0], b = ops[1];
    std::optional<BatchDim> result;
    auto give = [&](BatchDim d) {
      if (result && *result != d)
        refuse(i, "both operands hold the batch outside the dimensions they share");
      result = d;
    };
    if (const std::optional<BatchDim> &d = dim(a)) {
      if (m.rank == 3 && d->axis == 0) {
        require(b, *d, i);
        give(*d);
      } else if (d->axis == m.aM) {
        give({m.rank - 2, d->outer});
      } else {
        require(b, {m.bK, d->outer}, i);
      }
    }
    if (const std::optional<BatchDim> &d = dim(b)) {
      if (m.rank == 3 && d->axis == 0) {
        require(a, *d, i);
        give(*d);
      } else if (d->axis == m.bN) {
        give({m.rank - 1, d->outer});
      } else {
        require(a, {m.aK, d->outer}, i);
      }
    }
    if (result)
      require(i, *result, i);
    else if (dim(a) && dim(i))
      refuse(i, fmt::format("it sums over the batch, yet its result must hold it in {}",
                            where(*dim(i))));
    return;
  }

  case ContractionOp::Conv2d:
  case ContractionOp::Conv2dInputGrad:
    if (dim(ops[1]))
      refuse(i, "its filter would hold the batch");
    if (const std::optional<BatchDim> &d = dim(ops[0])) {
      if (d->axis != 0)
        refuse(i, fmt::format("it convolves over dimension {}, which holds the batch (a "
                              "convolution's batch is dimension 0)",
                              d->axis));
      require(i, *d, i);
    }
    return;
  case ContractionOp::Conv2dFilterGrad:
    for (ValueId operand : ops)
      if (const std::optional<BatchDim> &d = dim(operand)) {
        if (d->axis != 0)
          refuse(i, fmt::format("it convolves over dimension {}, which holds the batch", d->axis));
        for (ValueId other : ops)
          require(other, *d, i);
      }
    if (dim(ops[0]) && dim(i))
      refuse(i, "a filter gradient sums over the batch and cannot hold it");
    return;
  }
}

void Analysis::forwardWindow(ValueId i, WindowOp op) {
  switch (op) {
  case WindowOp::MaxPool2d:
  case WindowOp::MaxPool2dGrad:
  case WindowOp::AvgPool2d:
  case WindowOp::AvgPool2dGrad:
    // NCHW: the batch may be N or C, never a spatial dimension.
    if (std::optional<BatchDim> d = agreed(i)) {
      if (d->axis > 1)
        refuse(i, fmt::format("it pools over dimension {}, which holds the batch", d->axis));
      require(i, *d, i);
      for (ValueId operand : node(i).operands)
        require(operand, *d, i);
    }
    return;
  }
}

void Analysis::forwardLayout(ValueId i, LayoutOp op) {
  const Node &n = node(i);
  const std::vector<ValueId> &ops = n.operands;
  switch (op) {
  case LayoutOp::Reshape:
    if (dim(ops[0])) {
      std::optional<BatchDim> d = locate(shape(i), before(ops[0]), batch_);
      if (!d)
        refuse(i, fmt::format("it reshapes {} to {}, splitting the batch of {} across "
                              "dimensions",
                              g_.type(ops[0]).str(), g_.type(i).str(), where(*dim(ops[0]))));
      require(i, *d, i);
    }
    return;
  case LayoutOp::Transpose:
    if (const std::optional<BatchDim> &d = dim(ops[0])) {
      const std::vector<int64_t> &perm = n.attrs.getInts("perm");
      auto to = std::find(perm.begin(), perm.end(), d->axis) - perm.begin();
      require(i, {to, d->outer}, i);
    }
    return;
  case LayoutOp::Broadcast:
    if (const std::optional<BatchDim> &d = dim(ops[0]))
      require(i, {n.attrs.getInts("dims")[static_cast<size_t>(d->axis)], d->outer}, i);
    return;
  case LayoutOp::Slice:
    if (const std::optional<BatchDim> &d = dim(ops[0]))
      require(i, sliced(i, ops[0], *d, inner(ops[0])), i);
    return;
  case LayoutOp::Pad:
    if (const std::optional<BatchDim> &d = dim(ops[0])) {
      PadAttrs p = padAttrs(n.attrs);
      size_t a = static_cast<size_t>(d->axis);
      if (p.low[a] != 0 || p.high[a] != 0)
        refuse(i, fmt::format("it pads dimension {}, which holds the batch", d->axis));
      require(i, *d, i);
    }
    return;
  case LayoutOp::OneHot:
    if (const std::optional<BatchDim> &d = dim(ops[0]))
      require(i, *d, i);
    return;
  case LayoutOp::Concat: {
    int64_t axis = n.attrs.getInt("axis");
    std::optional<BatchDim> across; // the batch beside the joined axis
    std::optional<int64_t> along;   // the inner factor of a batch along the joined axis
    for (ValueId operand : ops) {
      const std::optional<BatchDim> &d = dim(operand);
      if (!d)
        continue;
      if (d->axis != axis) {
        if (across && *across != *d)
          refuse(i, fmt::format("its operands hold the batch in {} and in {}", where(*across),
                                where(*d)));
        across = d;
      } else {
        if (along && *along != inner(operand))
          refuse(i, "its operands hold the batch along the joined axis in blocks of "
                    "different sizes");
        along = inner(operand);
      }
    }
    if (across && along)
      refuse(i, fmt::format("it joins values holding the batch along dimension {} with values "
                            "holding it in {}",
                            axis, where(*across)));
    if (across) {
      for (ValueId operand : ops)
        require(operand, *across, i);
      require(i, *across, i);
    } else if (along) {
      int64_t outer = 0;
      for (ValueId operand : ops) {
        int64_t size = shape(operand)[static_cast<size_t>(axis)];
        if (size % (batch_ * *along) != 0)
          refuse(i, fmt::format("it joins {} along dimension {}, which holds the batch in "
                                "blocks of {} elsewhere",
                                describe(operand), axis, batch_ * *along));
        require(operand, {axis, size / (batch_ * *along)}, i);
        outer += size / (batch_ * *along);
      }
      require(i, {axis, outer}, i);
    }
    return;
  }
  }
}

void Analysis::backward(ValueId i) {
  if (!dim(i))
    return;
  const BatchDim d = *dim(i);
  const Node &n = node(i);
  const std::vector<ValueId> &ops = n.operands;
  switch (opInfo(n.op).category) {
  case OpCategory::Source:
    return; // their own `shape` follows the batch (a random draw's counter does not)
  case OpCategory::Elementwise:
  case OpCategory::Collective:
    for (ValueId operand : ops)
      require(operand, d, i);
    return;
  case OpCategory::Reduction: {
    std::vector<int64_t> axes = reducedAxes(n);
    std::vector<int64_t> kept;
    for (int64_t a = 0; a < static_cast<int64_t>(shape(ops[0]).size()); ++a)
      if (std::find(axes.begin(), axes.end(), a) == axes.end())
        kept.push_back(a);
    require(ops[0], {kept[static_cast<size_t>(d.axis)], d.outer}, i);
    return;
  }
  case OpCategory::Contraction:
    switch (*contractionOp(n.op)) {
    case ContractionOp::Matmul: {
      MatmulAxes m = matmulAxes(n);
      if (m.rank == 3 && d.axis == 0) {
        require(ops[0], d, i);
        require(ops[1], d, i);
      } else if (d.axis == m.rank - 2) {
        require(ops[0], {m.aM, d.outer}, i);
      } else {
        require(ops[1], {m.bN, d.outer}, i);
      }
      return;
    }
    case ContractionOp::Conv2d:
    case ContractionOp::Conv2dInputGrad:
      if (d.axis != 0)
        refuse(i, fmt::format("its result would hold the batch in dimension {}; a "
                              "convolution's batch is dimension 0",
                              d.axis));
      require(ops[0], d, i);
      return;
    case ContractionOp::Conv2dFilterGrad:
      refuse(i, "a filter gradient sums over the batch and cannot hold it");
    }
    return;
  case OpCategory::Window:
    switch (*windowOp(n.op)) {
    case WindowOp::MaxPool2d:
    case WindowOp::MaxPool2dGrad:
    case WindowOp::AvgPool2d:
    case WindowOp::AvgPool2dGrad:
      if (d.axis > 1)
        refuse(i, fmt::format("it pools over dimension {}, which holds the batch", d.axis));
      for (ValueId operand : ops)
        require(operand, d, i);
      return;
    }
    return;
  case OpCategory::Layout:
    backwardLayout(i, *layoutOp(n.op), d);
    return;
  }
}

void Analysis::backwardLayout(ValueId i, LayoutOp op, BatchDim d) {
  const Node &n = node(i);
  const std::vector<ValueId> &ops = n.operands;
  switch (op) {
  case LayoutOp::Pad:
  case LayoutOp::OneHot:
    require(ops[0], d, i);
    return;
  case LayoutOp::Reshape: {
    std::optional<BatchDim> from =
        locate(shape(ops[0]), prefix(shape(i), d.axis) * d.outer, batch_);
    if (!from)
      refuse(i, fmt::format("it reshapes {} to {}, whose {} holds the batch: that splits the "
                            "batch across dimensions of its operand",
                            g_.type(ops[0]).str(), g_.type(i).str(), where(d)));
    require(ops[0], *from, i);
    return;
  }
  case LayoutOp::Transpose:
    require(ops[0], {n.attrs.getInts("perm")[static_cast<size_t>(d.axis)], d.outer}, i);
    return;
  case LayoutOp::Broadcast: {
    // An operand dimension of size 1 expanded to the batch is a splat: only the
    // broadcast's own `shape` follows the batch.
    const std::vector<int64_t> &dims = n.attrs.getInts("dims");
    for (size_t j = 0; j < dims.size(); ++j)
      if (dims[j] == d.axis && shape(ops[0])[j] != 1)
        require(ops[0], {static_cast<int64_t>(j), d.outer}, i);
    return;
  }
  case LayoutOp::Slice: {
    int64_t in = inner(i);
    int64_t size = shape(ops[0])[static_cast<size_t>(d.axis)];
    if (size % (batch_ * in) != 0)
      refuse(i, fmt::format("its operand {} cannot hold the batch in blocks of {} along "
                            "dimension {}",
                            describe(ops[0]), batch_ * in, d.axis));
    BatchDim from{d.axis, size / (batch_ * in)};
    if (sliced(i, ops[0], from, in) != d)
      refuse(i, "it slices through the batch");
    require(ops[0], from, i);
    return;
  }
  case LayoutOp::Concat: {
    int64_t axis = n.attrs.getInt("axis");
    if (d.axis != axis) {
      for (ValueId operand : ops)
        require(operand, d, i);
      return;
    }
    int64_t block = batch_ * inner(i);
    for (ValueId operand : ops) {
      int64_t size = shape(operand)[static_cast<size_t>(axis)];
      if (size % block != 0)
        refuse(i, fmt::format("it joins {} along dimension {}, which holds the batch in "
                              "blocks of {}",
                              describe(operand), axis, block));
      require(operand, {axis, size / block}, i);
    }
    return;
  }
  }
}

} // namespace

BatchLayout batchLayout(const Graph &graph, ValueId input) { return Analysis(graph, input).run(); }

} // namespace kiln
