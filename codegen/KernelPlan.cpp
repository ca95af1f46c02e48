// planKernels: node classes, materialization, kernel order and the arena (see the header
// for the algorithm).
#include "kiln/codegen/KernelPlan.h"

#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/OpGroups.h"
#include "kiln/ir/ShapeRules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <functional>

namespace kiln::codegen {

namespace {

using libjit::ceilDiv;
using libjit::ConvShape;
using libjit::Index;

enum class NodeClass { Argument, View, Compute, Kernel, Global };

/// What planning needs to know about an op.
struct OpTraits {
  NodeClass cls;
  KernelKind kernel = KernelKind::Loop; ///< the kernel of a materialized node
  bool operandBuffers = false;          ///< its kernel reads operands as buffers (libjit, reshape)
  bool fusesOperands = false;           ///< it evaluates operands by index inside its own loop
  bool cheap = false; ///< compute: a few cycles per element (worth recomputing, not storing)
};

/// The libjit kernel of a contraction or window op.
KernelKind anchorKernel(OpKind op) {
  if (std::optional<ContractionOp> c = contractionOp(op)) {
    switch (*c) {
    case ContractionOp::Matmul:
      return KernelKind::Matmul;
    case ContractionOp::Conv2d:
      return KernelKind::Conv2d;
    case ContractionOp::Conv2dInputGrad:
      return KernelKind::Conv2dInputGrad;
    case ContractionOp::Conv2dFilterGrad:
      return KernelKind::Conv2dFilterGrad;
    }
  }
  assert(windowOp(op) && "not a contraction or window op");
  switch (*windowOp(op)) {
  case WindowOp::MaxPool2d:
    return KernelKind::MaxPool2d;
  case WindowOp::MaxPool2dGrad:
    return KernelKind::MaxPool2dGrad;
  case WindowOp::AvgPool2d:
    return KernelKind::AvgPool2d;
  case WindowOp::AvgPool2dGrad:
    return KernelKind::AvgPool2dGrad;
  }
  return KernelKind::Loop;
}

/// The traits of a node, from its op's category and cost in the op table.
OpTraits traits(const Node &node) {
  const OpInfo &info = opInfo(node.op);
  bool cheap = info.cost == OpCost::Cheap;
  switch (info.category) {
  case OpCategory::Source:
    if (isArgument(node.op))
      return {NodeClass::Argument};
    if (node.op == OpKind::Constant && node.attrs.has("data"))
      return {NodeClass::Global};
    // A splat or an iota is index arithmetic; a random draw is computed per element.
    if (info.cost == OpCost::Free)
      return {NodeClass::View};
    return {NodeClass::Compute, KernelKind::Loop, false, /*fusesOperands=*/true, cheap};
  case OpCategory::Elementwise:
    return {NodeClass::Compute, KernelKind::Loop, false, /*fusesOperands=*/true, cheap};
  case OpCategory::Reduction:
    return {NodeClass::Kernel, KernelKind::Reduce, false, /*fusesOperands=*/true};
  case OpCategory::Contraction:
  case OpCategory::Window:
    return {NodeClass::Kernel, anchorKernel(node.op), /*operandBuffers=*/true};
  case OpCategory::Layout:
    // A concat is copied into its buffer part by part; every other layout op is a view,
    // and a reshape's kernel (when it has one) reads its operand as a buffer.
    if (node.op == OpKind::Concat)
      return {NodeClass::Kernel, KernelKind::ConcatPart, false, /*fusesOperands=*/true};
    return {NodeClass::View, KernelKind::Loop, /*operandBuffers=*/node.op == OpKind::Reshape};
  }
  assert(false && "unknown category");
  return {NodeClass::Kernel};
}

constexpr int64_t kRecomputeOps = 4;

std::string kernelName(const Node &node, ValueId id, const char *suffix = "") {
  std::string op = std::string(mnemonic(node.op)) + suffix;
  if (node.scope.empty())
    return fmt::format("{}.{}", op, id);
  return fmt::format("{}/{}.{}", node.scope, op, id);
}

int64_t elementBytes(const Graph &graph, ValueId id) {
  return static_cast<int64_t>(dtypeSize(graph.type(id).dtype));
}

} // namespace

/// The geometry of a convolution node, from its attributes and the shapes of x (or dx),
/// w (or dw) and y (or dy).
ConvShape convShape(const Graph &graph, ValueId id) {
  const Node &node = graph.node(id);
  const Shape &a = graph.type(node.operands[0]).shape, &b = graph.type(node.operands[1]).shape;
  const Shape &r = node.type.shape;
  bool forward = node.op == OpKind::Conv2d, inputGrad = node.op == OpKind::Conv2dInputGrad;
  assert((forward || inputGrad || node.op == OpKind::Conv2dFilterGrad) && "not a convolution");
  // conv2d (x, w) -> y; conv2d_input_grad (dy, w) -> dx; conv2d_filter_grad (x, dy) -> dw.
  const Shape &x = forward ? a : inputGrad ? r : a;
  const Shape &w = forward ? b : inputGrad ? b : r;
  const Shape &y = forward ? r : inputGrad ? a : b;
  ConvAttrs c = convAttrs(node.attrs);
  return {x[0],         x[1],          x[2],          x[3],        w[0],        w[2],
          w[3],         y[2],          y[3],          c.stride[0], c.stride[1], c.padding[0],
          c.padding[1], c.dilation[0], c.dilation[1], c.groups};
}

ValueId KernelPlan::root(ValueId id) const {
  while (storage[id].kind == StorageKind::Alias)
    id = storage[id].aliasOf;
  return id;
}

namespace {

/// Sets items and scratch of a contraction or window kernel.
void sizeKernel(const Graph &graph, Kernel &k, const PlanOptions &options) {
  const Node &node = graph.node(k.value);
  int64_t bytes = elementBytes(graph, k.value);
  int eb = static_cast<int>(bytes);
  int64_t workers = options.workers;
  switch (k.kind) {
  case KernelKind::Matmul: {
    const Shape &out = node.type.shape;
    size_t r = out.size();
    int64_t batch = r == 3 ? out[0] : 1, m = out[r - 2], n = out[r - 1];
    const Shape &a = graph.type(node.operands[0]).shape;
    int64_t depth = matmulAttrs(node.attrs).transposeA ? a[r - 2] : a[r - 1];
    libjit::GemmBlocking g = libjit::gemmBlocking(options.isa, eb);
    double flops = 2.0 * double(batch) * double(m) * double(n) * double(depth);
    int64_t wanted = std::clamp<int64_t>(int64_t(flops / 2e6), 1, 4 * workers);
    int64_t split = std::max<int64_t>(1, ceilDiv(wanted, batch));
    k.itemRows = std::max<int64_t>(m, 1);
    k.itemCols = std::max<int64_t>(n, 1);
    // Every item packs the whole other operand again (its depth x its rows or columns),
    // so items stay wide: below kMinItemCols columns (or kMinItemRows rows) that packing
    // costs about as much as the item's multiply-adds, and only the workers get one each.
    constexpr int64_t kMinItemCols = 128, kMinItemRows = 48;
    if (split > 1 && n >= m)
      k.itemCols =
          libjit::roundUp(ceilDiv(n, std::min(split, std::max(workers, n / kMinItemCols))), g.nr);
    else if (split > 1)
      k.itemRows =
          libjit::roundUp(ceilDiv(m, std::min(split, std::max(workers, m / kMinItemRows))), g.mr);
    k.items = batch * ceilDiv(m, k.itemRows) * ceilDiv(n, k.itemCols);
    k.scratchPerWorker = libjit::gemmScratch(options.isa, eb, m, n, depth).total() * bytes;
    return;
  }
  case KernelKind::Conv2d: {
    ConvShape s = convShape(graph, k.value);
    k.items = s.n * s.groups;
    k.shifted = libjit::shiftedApplies(s);
    k.scratchPerWorker =
        (k.shifted
             ? libjit::shiftedScratch(options.isa, eb, libjit::forwardShifted(s), s.og(), s.wo)
                   .total
             : libjit::convForwardScratch(options.isa, eb, s)) *
        bytes;
    return;
  }
  case KernelKind::Conv2dInputGrad: {
    ConvShape s = convShape(graph, k.value);
    k.items = s.n * s.groups;
    k.shifted = libjit::shiftedApplies(s);
    k.scratchPerWorker =
        (k.shifted
             ? libjit::shiftedScratch(options.isa, eb, libjit::inputGradShifted(s), s.cg(), s.w)
                   .total
             : libjit::convInputGradScratch(options.isa, eb, s)) *
        bytes;
    return;
  }
  case KernelKind::Conv2dFilterGrad: {
    ConvShape s = convShape(graph, k.value);
    int64_t chunks = std::clamp<int64_t>(2 * workers, 1, std::max<int64_t>(s.n, 1));
    k.imagesPerChunk = std::max<int64_t>(1, ceilDiv(s.n, chunks));
    k.items = ceilDiv(std::max<int64_t>(s.n, 1), k.imagesPerChunk) * s.groups;
    k.shifted = libjit::shiftedApplies(s);
    k.scratchPerWorker =
        (k.shifted ? libjit::shiftedFilterGradScratch(options.isa, eb, s).total
                   : libjit::convFilterGradScratch(options.isa, eb, s, k.imagesPerChunk)) *
        bytes;
    return;
  }
  case KernelKind::MaxPool2d:
  case KernelKind::MaxPool2dGrad:
  case KernelKind::AvgPool2d:
  case KernelKind::AvgPool2dGrad: {
    const Shape &x = k.kind == KernelKind::AvgPool2dGrad || k.kind == KernelKind::MaxPool2dGrad
                         ? node.type.shape
                         : graph.type(node.operands[0]).shape;
    int64_t planes = x[0] * x[1], plane = std::max<int64_t>(x[2] * x[3], 1);
    k.itemRows = std::max<int64_t>(1, ceilDiv(16384, plane));
    k.items = std::max<int64_t>(1, ceilDiv(planes, k.itemRows));
    return;
  }
  case KernelKind::Loop:
  case KernelKind::ConcatPart:
  case KernelKind::Reduce:
  case KernelKind::SumChunks:
  case KernelKind::PackFilter:
    return; // sized by the loop emitter, or serial; no scratch
  }
}

struct ArenaBuffer {
  int64_t bytes, first, last;
  int64_t *offset;
};

/// Assigns offsets largest-first, each at the lowest address free over its lifetime.
int64_t placeBuffers(std::vector<ArenaBuffer> &buffers) {
  std::vector<size_t> order(buffers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  int64_t total = 0;
  for (size_t i : order) {
    ArenaBuffer &b = buffers[i];
    std::vector<std::pair<int64_t, int64_t>> busy; // address ranges live at the same time
    for (size_t j : placed) {
      const ArenaBuffer &o = buffers[j];
      if (o.first <= b.last && b.first <= o.last)
        busy.push_back({*o.offset, *o.offset + o.bytes});
    }
    std::sort(busy.begin(), busy.end());
    int64_t at = 0;
    for (auto [lo, hi] : busy) {
      if (at + b.bytes <= lo)
        break;
      at = std::max<int64_t>(at, libjit::roundUp(hi, 64));
    }
    *b.offset = at;
    total = std::max(total, at + b.bytes);
    placed.push_back(i);
  }
  return libjit::roundUp(total, 64);
}

} // namespace

KernelPlan planKernels(const Graph &graph, const PlanOptions &options) {
  KernelPlan plan;
  plan.options = options;
  size_t n = graph.size();
  plan.storage.resize(n);

  // Uses, and the slots of outputs and updates.
  std::vector<std::vector<ValueId>> users(n);
  std::vector<int> uses(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (ValueId operand : graph.node(static_cast<ValueId>(i)).operands) {
      users[operand].push_back(static_cast<ValueId>(i));
      ++uses[operand];
    }
  std::vector<ValueId> inputs = graph.inputs(), states = graph.states();
  plan.numInputs = static_cast<int64_t>(inputs.size());
  plan.numStates = static_cast<int64_t>(states.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    plan.storage[inputs[i]] = {StorageKind::Argument, static_cast<int64_t>(i)};
  for (size_t i = 0; i < states.size(); ++i)
    plan.storage[states[i]] = {StorageKind::Argument, plan.numInputs + static_cast<int64_t>(i)};
  std::vector<std::pair<ValueId, int64_t>> results; // (value, slot) of outputs, then updates
  int64_t slot = plan.numInputs + plan.numStates;
  for (const Output &o : graph.outputs())
    results.push_back({o.value, slot++});
  for (const Update &u : graph.updates())
    results.push_back({u.value, slot++});
  std::vector<int64_t> resultSlot(n, -1);
  for (auto [value, s] : results) {
    ++uses[value];
    if (resultSlot[value] < 0)
      resultSlot[value] = s;
  }

  // Step 2: materialization, users before operands.
  std::vector<bool> needBuffer(n, false);
  for (size_t i = n; i-- > 0;) {
    ValueId id = static_cast<ValueId>(i);
    const Node &node = graph.node(id);
    OpTraits t = traits(node);
    if (t.operandBuffers)
      for (ValueId operand : node.operands)
        needBuffer[operand] = true;
    Storage &st = plan.storage[id];
    bool isResult = resultSlot[id] >= 0;
    bool materialize = false;
    switch (t.cls) {
    case NodeClass::Argument:
      continue;
    case NodeClass::Global:
      st.kind = StorageKind::Global;
      continue;
    case NodeClass::Kernel:
      materialize = true;
      break;
    case NodeClass::Compute:
      materialize = isResult || needBuffer[id] || uses[id] != 1 ||
                    !traits(graph.node(users[id][0])).fusesOperands;
      break;
    case NodeClass::View:
      if (node.op == OpKind::Reshape && !isResult) {
        st = {StorageKind::Alias, -1, -1, node.operands[0]};
        continue;
      }
      materialize = isResult || needBuffer[id];
      break;
    }
    if (!materialize)
      continue;
    st.kind = isResult ? StorageKind::Argument : StorageKind::Arena;
    st.slot = isResult ? resultSlot[id] : -1;
  }

  // Step 2b: recompute rather than store. A cheap elementwise value read by several
  // users that all evaluate operands in their own loops (no view among them: a
  // broadcast would recompute it many times) is evaluated inside each user when that
  // moves no more memory than storing it and reading it back: a tree of at most
  // kRecomputeOps cheap ops over at most one large buffer (two, for two users). Operands
  // come first, so their final status is known here.
  for (size_t i = 0; i < n; ++i) {
    ValueId id = static_cast<ValueId>(i);
    const Node &node = graph.node(id);
    if (plan.storage[id].kind != StorageKind::Arena || traits(node).cls != NodeClass::Compute ||
        needBuffer[id] || uses[id] < 2)
      continue;
    bool fusing = std::all_of(users[id].begin(), users[id].end(), [&](ValueId u) {
      OpTraits ut = traits(graph.node(u));
      return ut.fusesOperands && ut.cls != NodeClass::View;
    });
    if (!fusing)
      continue;
    int64_t ops = 0, bigLeaves = 0, big = std::max<int64_t>(node.type.numElements() / 8, 1);
    bool cheap = true;
    std::function<void(ValueId)> cost = [&](ValueId v) {
      if (plan.storage[v].kind != StorageKind::Virtual) {
        bigLeaves += graph.type(v).numElements() >= big && graph.type(v).numElements() > 1;
        return;
      }
      OpTraits vt = traits(graph.node(v));
      if (vt.cls == NodeClass::Compute) {
        cheap &= vt.cheap;
        ++ops;
      }
      for (ValueId operand : graph.node(v).operands)
        cost(operand);
    };
    cheap &= traits(node).cheap;
    ops = 1;
    for (ValueId operand : node.operands)
      cost(operand);
    if (cheap && ops <= kRecomputeOps && (bigLeaves <= 1 || (bigLeaves == 2 && uses[id] == 2)))
      plan.storage[id] = Storage{};
  }

  // Step 3: kernels in graph order.
  for (size_t i = 0; i < n; ++i) {
    ValueId id = static_cast<ValueId>(i);
    const Node &node = graph.node(id);
    StorageKind kind = plan.storage[id].kind;
    if (kind != StorageKind::Arena && !(kind == StorageKind::Argument && resultSlot[id] >= 0 &&
                                        traits(node).cls != NodeClass::Argument))
      continue;
    if (node.op == OpKind::Concat) {
      for (size_t p = 0; p < node.operands.size(); ++p)
        plan.kernels.push_back({KernelKind::ConcatPart, id, static_cast<int>(p),
                                kernelName(node, id, fmt::format(".part{}", p).c_str())});
      continue;
    }
    Kernel k{traits(node).kernel, id, 0, kernelName(node, id)};
    sizeKernel(graph, k, options);
    if ((node.op == OpKind::Conv2dInputGrad || node.op == OpKind::Conv2d) && k.shifted)
      plan.kernels.push_back({KernelKind::PackFilter, id, 0, kernelName(node, id, ".filter")});
    plan.kernels.push_back(k);
    if (node.op == OpKind::Conv2dFilterGrad) {
      Kernel sum{KernelKind::SumChunks, id, 0, kernelName(node, id, ".sum")};
      sum.imagesPerChunk = k.imagesPerChunk;
      sum.shifted = k.shifted;
      plan.kernels.push_back(sum);
    }
  }

  // Final copies: results whose value lives elsewhere, or that repeat a value.
  for (auto [value, s] : results) {
    const Storage &st = plan.storage[value];
    if (!(st.kind == StorageKind::Argument && st.slot == s))
      plan.copies.push_back({value, s});
  }

  // Step 4: lifetimes and arena offsets. Lifetimes count in time slots: an elementwise
  // kernel that may run as the epilogue of the contraction or window kernel before it
  // (ModuleEmitter runs it inside that kernel, item by item) shares its slot, so its
  // buffers never overlap what that kernel still reads or its scratch.
  int64_t end = static_cast<int64_t>(plan.kernels.size());
  std::vector<int64_t> timeSlot(size_t(end) + 1);
  for (int64_t k = 0; k <= end; ++k) {
    timeSlot[k] = k;
    if (k == 0 || k == end || plan.kernels[k].kind != KernelKind::Loop)
      continue;
    const Kernel &before = plan.kernels[k - 1];
    bool window = before.kind == KernelKind::MaxPool2d ||
                  before.kind == KernelKind::MaxPool2dGrad ||
                  before.kind == KernelKind::AvgPool2d || before.kind == KernelKind::AvgPool2dGrad;
    bool conv = before.kind == KernelKind::Conv2d || before.kind == KernelKind::Conv2dInputGrad;
    if ((window || conv) &&
        graph.type(plan.kernels[k].value).shape == graph.type(before.value).shape)
      timeSlot[k] = timeSlot[k - 1];
  }
  std::vector<int64_t> first(n, -1), last(n, -1);
  std::function<void(ValueId, int64_t)> read = [&](ValueId v, int64_t at) {
    if (plan.materialized(v)) {
      ValueId r = plan.root(v);
      last[r] = std::max(last[r], at);
      return;
    }
    for (ValueId operand : graph.node(v).operands)
      read(operand, at);
  };
  std::vector<ArenaBuffer> buffers;
  for (int64_t k = 0; k < end; ++k) {
    Kernel &kernel = plan.kernels[k];
    const Node &node = graph.node(kernel.value);
    int64_t t = timeSlot[k];
    if (first[kernel.value] < 0)
      first[kernel.value] = t;
    last[kernel.value] = std::max(last[kernel.value], t);
    if (kernel.kind == KernelKind::ConcatPart)
      read(node.operands[kernel.part], t);
    else if (kernel.kind != KernelKind::SumChunks)
      for (ValueId operand : node.operands)
        read(operand, t);
    if (kernel.scratchPerWorker > 0)
      buffers.push_back({kernel.scratchPerWorker * options.workers, t, t, &kernel.scratchOffset});
    if (kernel.kind == KernelKind::Conv2dFilterGrad) {
      ConvShape s = convShape(graph, kernel.value);
      int eb = int(elementBytes(graph, kernel.value));
      int64_t perItem = kernel.shifted
                            ? libjit::shiftedFilterGradPart(options.isa, eb, s).elements()
                            : s.og() * s.k();
      buffers.push_back({kernel.items * perItem * eb, t, timeSlot[k + 1], &kernel.partsOffset});
    }
    if (kernel.kind == KernelKind::PackFilter) {
      ConvShape s = convShape(graph, kernel.value);
      int eb = int(elementBytes(graph, kernel.value));
      int64_t elements = node.op == OpKind::Conv2d
                             ? libjit::packedForwardFilter(options.isa, eb, s)
                             : libjit::packedInputGradFilter(options.isa, eb, s);
      buffers.push_back({elements * eb, t, timeSlot[k + 1], &kernel.partsOffset});
    }
  }
  for (const FinalCopy &c : plan.copies)
    read(c.value, end);
  for (size_t v = 0; v < n; ++v) {
    Storage &st = plan.storage[v];
    if (st.kind != StorageKind::Arena)
      continue;
    int64_t bytes =
        std::max<int64_t>(static_cast<int64_t>(graph.type(static_cast<ValueId>(v)).numElements() *
                                               elementBytes(graph, ValueId(v))),
                          1);
    buffers.push_back({bytes, first[v], std::max(first[v], last[v]), &st.offset});
  }
  plan.arenaBytes = placeBuffers(buffers);
  for (size_t k = 0; k + 1 < plan.kernels.size(); ++k)
    if (plan.kernels[k + 1].kind == KernelKind::SumChunks ||
        plan.kernels[k].kind == KernelKind::PackFilter)
      plan.kernels[k + 1].partsOffset = plan.kernels[k].partsOffset;
  return plan;
}

std::string describePlan(const Graph &graph, const KernelPlan &plan) {
  auto where = [&](ValueId v) -> std::string {
    const Storage &st = plan.storage[plan.root(v)];
    switch (st.kind) {
    case StorageKind::Virtual:
      return "virtual";
    case StorageKind::Argument:
      return fmt::format("args[{}]", st.slot);
    case StorageKind::Arena:
      return fmt::format("arena+{}", st.offset);
    case StorageKind::Global:
      return "global";
    case StorageKind::Alias:
      break;
    }
    return "?";
  };
  std::string text =
      fmt::format("; kernel plan of @{}: {} kernels, arena {} bytes, {} workers\n", graph.name(),
                  plan.kernels.size(), plan.arenaBytes, plan.options.workers);
  for (const Kernel &k : plan.kernels) {
    bool loop = k.kind == KernelKind::Loop || k.kind == KernelKind::ConcatPart ||
                k.kind == KernelKind::Reduce; // sized when their loop nest is built
    text += fmt::format(";   {:<48} -> %{} {}{}\n", k.name, k.value, where(k.value),
                        loop ? "" : fmt::format(" ({} items)", k.items));
  }
  for (const FinalCopy &c : plan.copies)
    text += fmt::format(";   copy %{} {} -> args[{}]\n", c.value, where(c.value), c.slot);
  return text;
}

} // namespace kiln::codegen
