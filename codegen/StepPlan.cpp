// planStages and addScratch: a kernel program's kernels as stages over the memory plan's
// buffers (see the header).
#include "kiln/codegen/StepPlan.h"
#include "kiln/codegen/Buckets.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/OpGroups.h"
#include "kiln/passes/FusionRules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

namespace kiln::codegen {

namespace {

using libjit::ceilDiv;
using libjit::ConvShape;

std::string stageName(const Node &node, ValueId id, const std::string &suffix = "") {
  std::string op = std::string(mnemonic(node.op)) + suffix;
  if (node.scope.empty())
    return fmt::format("{}.{}", op, id);
  return fmt::format("{}/{}.{}", node.scope, op, id);
}

int64_t elementBytes(const Graph &graph, ValueId id) {
  return static_cast<int64_t>(dtypeSize(graph.type(id).dtype));
}

/// The libjit stage of a contraction or window op.
StageKind anchorKind(OpKind op) {
  if (std::optional<ContractionOp> c = contractionOp(op)) {
    switch (*c) {
    case ContractionOp::Matmul:
      return StageKind::Matmul;
    case ContractionOp::Conv2d:
      return StageKind::Conv2d;
    case ContractionOp::Conv2dInputGrad:
      return StageKind::Conv2dInputGrad;
    case ContractionOp::Conv2dFilterGrad:
      return StageKind::Conv2dFilterGrad;
    }
  }
  assert(windowOp(op) && "not a contraction or window op");
  switch (*windowOp(op)) {
  case WindowOp::MaxPool2d:
    return StageKind::MaxPool2d;
  case WindowOp::MaxPool2dGrad:
    return StageKind::MaxPool2dGrad;
  case WindowOp::AvgPool2d:
    return StageKind::AvgPool2d;
  case WindowOp::AvgPool2dGrad:
    return StageKind::AvgPool2dGrad;
  }
  return StageKind::Loop;
}

/// Sets items and per-worker scratch of a contraction or window stage.
void sizeStage(const Graph &graph, Stage &k, const PlanOptions &options) {
  const Node &node = graph.node(k.value);
  int64_t bytes = elementBytes(graph, k.value);
  int eb = static_cast<int>(bytes);
  int64_t workers = options.workers;
  switch (k.kind) {
  case StageKind::Matmul: {
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
  case StageKind::Conv2d: {
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
  case StageKind::Conv2dInputGrad: {
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
  case StageKind::Conv2dFilterGrad: {
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
  case StageKind::MaxPool2d:
  case StageKind::MaxPool2dGrad:
  case StageKind::AvgPool2d:
  case StageKind::AvgPool2dGrad: {
    const Shape &x = k.kind == StageKind::AvgPool2dGrad || k.kind == StageKind::MaxPool2dGrad
                         ? node.type.shape
                         : graph.type(node.operands[0]).shape;
    int64_t planes = x[0] * x[1], plane = std::max<int64_t>(x[2] * x[3], 1);
    // Items of at least 32K input cells: waking a worker costs more than pooling fewer
    // (a batch-1 prediction's pools run on the calling thread).
    constexpr int64_t kMinItemCells = 32768;
    k.itemRows = std::max<int64_t>(1, ceilDiv(kMinItemCells, plane));
    k.items = std::max<int64_t>(1, ceilDiv(planes, k.itemRows));
    return;
  }
  case StageKind::Loop:
  case StageKind::ConcatPart:
  case StageKind::Reduce:
  case StageKind::SumChunks:
  case StageKind::PackFilter:
  case StageKind::AllReduce:
    return; // sized by the loop emitter, or serial; no scratch
  }
}

/// The stages of a contraction or window op and the two scratch areas they share: the
/// per-worker scratch of the main call, and the per-chunk results of a filter gradient
/// (or the packed filter of a shifted convolution).
struct AnchorStages {
  std::vector<Stage> stages;
  size_t main = 0; ///< index of the main call in `stages`
  int64_t workerBytes = 0, partsBytes = 0;
};

AnchorStages anchorStages(const Graph &graph, ValueId id, int kernel, const PlanOptions &options) {
  const Node &node = graph.node(id);
  AnchorStages a;
  Stage main{anchorKind(node.op), id, {}, kernel, 0, stageName(node, id)};
  sizeStage(graph, main, options);
  int eb = static_cast<int>(elementBytes(graph, id));
  a.workerBytes = main.scratchPerWorker * options.workers;
  if ((node.op == OpKind::Conv2d || node.op == OpKind::Conv2dInputGrad) && main.shifted) {
    ConvShape s = convShape(graph, id);
    int64_t elements = node.op == OpKind::Conv2d ? libjit::packedForwardFilter(options.isa, eb, s)
                                                 : libjit::packedInputGradFilter(options.isa, eb, s);
    a.partsBytes = elements * eb;
    a.stages.push_back({StageKind::PackFilter, id, {}, kernel, 0, stageName(node, id, ".filter")});
  }
  a.main = a.stages.size();
  a.stages.push_back(main);
  if (node.op == OpKind::Conv2dFilterGrad) {
    ConvShape s = convShape(graph, id);
    int64_t perItem = main.shifted ? libjit::shiftedFilterGradPart(options.isa, eb, s).elements()
                                   : s.og() * s.k();
    a.partsBytes = main.items * perItem * eb;
    Stage sum{StageKind::SumChunks, id, {}, kernel, 0, stageName(node, id, ".sum")};
    sum.imagesPerChunk = main.imagesPerChunk;
    sum.shifted = main.shifted;
    a.stages.push_back(sum);
  }
  return a;
}

/// The values a kernel writes, as its passes (writePasses) write them.
std::vector<std::vector<ValueId>> passValues(const Kernel &k) {
  std::vector<std::vector<ValueId>> passes;
  for (const std::vector<int32_t> &pass : writePasses(k)) {
    passes.emplace_back();
    for (int32_t local : pass)
      passes.back().push_back(k.values[local - k.inputs.size()]);
  }
  return passes;
}

Storage storageOf(const KernelProgram &program, const MemoryPlan &memory, BufferId b,
                  const std::vector<int64_t> &argumentSlot) {
  const Buffer &buffer = program.buffers[b];
  const BufferPlacement &pl = memory.placements[b];
  switch (buffer.kind) {
  case BufferKind::Input:
  case BufferKind::State:
    return {StorageKind::Argument, argumentSlot[b]};
  case BufferKind::Constant:
    return {StorageKind::Global, -1, -1, buffer.value};
  case BufferKind::Temporary:
  case BufferKind::Output:
  case BufferKind::Scratch:
    break;
  }
  switch (pl.where) {
  case Placement::Arena:
    return {StorageKind::Arena, -1, pl.offset};
  case Placement::InPlace:
    if (memory.placements[pl.state].where == Placement::Arena) // over a buffer of its kernel
      return {StorageKind::Arena, -1, pl.offset};
    break;
  case Placement::Caller:
    return {StorageKind::Argument, pl.slot};
  case Placement::External:
    break;
  }
  fail("JIT: buffer %{} of program @{} is not placed in the arena or a caller's tensor "
       "(internal error: plan memory with ResultPlacement::Caller)",
       buffer.name, program.name);
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

void addScratch(const Graph &graph, KernelProgram &program, const PlanOptions &options) {
  for (size_t ki = 0; ki < program.kernels.size(); ++ki) {
    for (const std::vector<ValueId> &pass : passValues(program.kernels[ki])) {
      ValueId v = pass.front();
      const Node &node = graph.node(v);
      if (!isAnchor(node.op))
        continue;
      std::string name; // the name of the buffer the anchor writes
      for (const Kernel::Result &r : program.kernels[ki].outputs)
        if (program.kernels[ki].values[r.local - program.kernels[ki].inputs.size()] == v)
          name = program.buffers[r.buffer].name;
      AnchorStages a = anchorStages(graph, v, int(ki), options);
      for (auto [bytes, what] : {std::pair{a.workerBytes, "scratch"}, {a.partsBytes, "parts"}}) {
        if (bytes <= 0)
          continue;
        int64_t eb = elementBytes(graph, v);
        Type type{node.type.dtype, {ceilDiv(bytes, eb)}};
        program.buffers.push_back(
            {fmt::format("{}.{}", name, what), type, BufferKind::Scratch, v, {}});
        program.kernels[ki].scratch.push_back(BufferId(program.buffers.size() - 1));
      }
    }
  }
}

const StepPlan::Access *StepPlan::find(ValueId value, size_t stage) const {
  const std::vector<Access> &a = access[stages[stage].kernel];
  auto it = std::lower_bound(a.begin(), a.end(), value,
                             [](const Access &x, ValueId v) { return x.value < v; });
  return it != a.end() && it->value == value ? &*it : nullptr;
}

Storage StepPlan::storage(ValueId value, size_t stage) const {
  const Access *a = find(value, stage);
  return a ? a->storage : Storage{};
}

bool StepPlan::available(ValueId value, size_t stage) const {
  const Access *a = find(value, stage);
  return a && a->stage < static_cast<int>(stage);
}

ValueId StepPlan::root(ValueId value, size_t stage) const {
  while (!find(value, stage) && graph->node(value).op == OpKind::Reshape)
    value = graph->node(value).operands[0];
  return value;
}

StepPlan planStages(const Graph &graph, const KernelProgram &program, const MemoryPlan &memory,
                    const PlanOptions &options) {
  StepPlan plan;
  plan.options = options;
  plan.graph = &graph;
  plan.arenaBytes = memory.arenaBytes;
  std::vector<int64_t> argumentSlot(program.buffers.size(), -1);
  int64_t slot = 0;
  for (BufferId b : program.inputBuffers())
    argumentSlot[b] = slot++;
  for (BufferId b : program.stateBuffers())
    argumentSlot[b] = slot++;

  for (size_t ki = 0; ki < program.kernels.size(); ++ki) {
    const Kernel &k = program.kernels[ki];
    plan.kernelNames.push_back(k.name);
    std::vector<StepPlan::Access> access;
    for (BufferId b : k.inputs)
      access.push_back({program.buffers[b].value, storageOf(program, memory, b, argumentSlot)});
    size_t scratch = 0;
    auto scratchOffset = [&] {
      if (scratch >= k.scratch.size())
        fail("JIT: kernel {} of program @{} has less scratch than its calls need (internal "
             "error: run addScratch with the same options)",
             k.name, program.name);
      return memory.placements[k.scratch[scratch++]].offset;
    };
    for (const std::vector<ValueId> &pass : passValues(k)) {
      ValueId v = pass.front();
      const Node &node = graph.node(v);
      auto written = [&](int stage) {
        for (ValueId value : pass)
          for (const Kernel::Result &r : k.outputs)
            if (k.values[r.local - k.inputs.size()] == value)
              access.push_back(
                  {value, storageOf(program, memory, r.buffer, argumentSlot), stage});
      };
      if (isAnchor(node.op)) {
        AnchorStages a = anchorStages(graph, v, int(ki), options);
        int64_t workerOffset = a.workerBytes > 0 ? scratchOffset() : -1;
        int64_t partsOffset = a.partsBytes > 0 ? scratchOffset() : -1;
        for (Stage &s : a.stages) {
          s.scratchOffset = s.scratchPerWorker > 0 ? workerOffset : -1;
          s.partsOffset = partsOffset;
        }
        // The value is written by the main call, or by the sum after it.
        written(int(plan.stages.size() + a.stages.size() - 1));
        for (Stage &s : a.stages)
          plan.stages.push_back(std::move(s));
        continue;
      }
      written(int(plan.stages.size())); // a concat: by its first part (no part reads it)
      if (node.op == OpKind::AllReduce) { // one call, on one thread: 1 item
        plan.stages.push_back({StageKind::AllReduce, v, {}, int(ki), 0, stageName(node, v)});
        continue;
      }
      if (node.op == OpKind::Concat) {
        for (size_t p = 0; p < node.operands.size(); ++p)
          plan.stages.push_back({StageKind::ConcatPart, v, {}, int(ki), int(p),
                                 stageName(node, v, fmt::format(".part{}", p))});
        continue;
      }
      if (opInfo(node.op).category == OpCategory::Reduction) {
        plan.stages.push_back({StageKind::Reduce, v, {}, int(ki), 0, stageName(node, v)});
        continue;
      }
      std::vector<ValueId> also(pass.begin() + 1, pass.end());
      plan.stages.push_back({StageKind::Loop, v, std::move(also), int(ki), 0, stageName(node, v)});
    }
    std::stable_sort(access.begin(), access.end(),
                     [](const StepPlan::Access &a, const StepPlan::Access &b) {
                       return a.value < b.value;
                     });
    plan.access.push_back(std::move(access));
  }

  // Results that do not already live in their caller's tensor.
  auto results = static_cast<int64_t>(slot);
  auto copy = [&](BufferId b, int64_t to) {
    const BufferPlacement &pl = memory.placements[b];
    if (pl.where == Placement::Caller && pl.slot == to)
      return;
    plan.copies.push_back({program.buffers[b].value,
                           storageOf(program, memory, b, argumentSlot), to});
  };
  for (const auto &o : program.outputs)
    copy(o.buffer, results++);
  for (const auto &u : program.updates)
    copy(u.value, results++);
  planBuckets(plan);
  return plan;
}

std::string describeStages(const Graph &graph, const StepPlan &plan) {
  auto where = [&](const Storage &st) -> std::string {
    switch (st.kind) {
    case StorageKind::Virtual:
      return "virtual";
    case StorageKind::Argument:
      return fmt::format("args[{}]", st.slot);
    case StorageKind::Arena:
      return fmt::format("arena+{}", st.offset);
    case StorageKind::Global:
      return "global";
    }
    return "?";
  };
  std::string text =
      fmt::format("; stages of @{}: {} kernels, {} stages, arena {} bytes, {} workers\n",
                  graph.name(), plan.kernelNames.size(), plan.stages.size(), plan.arenaBytes,
                  plan.options.workers);
  int kernel = -1;
  for (size_t s = 0; s < plan.stages.size(); ++s) {
    const Stage &k = plan.stages[s];
    if (k.kernel != kernel) {
      kernel = k.kernel;
      text += fmt::format(";   kernel {} {}\n", kernel, plan.kernelNames[kernel]);
    }
    bool loop = k.kind == StageKind::Loop || k.kind == StageKind::ConcatPart ||
                k.kind == StageKind::Reduce; // sized when their loop nest is built
    if (s == 0 || plan.stages[s - 1].kernel != k.kernel)
      for (int64_t b : plan.waitsBefore[k.kernel])
        text += fmt::format(";     wait for all_reduce bucket {}\n", b);
    std::string bucket = k.kind != StageKind::AllReduce
                             ? ""
                             : fmt::format(", bucket {}{}", k.bucket,
                                           k.closesBucket ? " (closes it: reducing starts)" : "");
    text += fmt::format(";     {:<46} -> %{} {}{}{}\n", k.name, k.value,
                        where(plan.storage(k.value, s)),
                        loop ? "" : fmt::format(" ({} items)", k.items), bucket);
  }
  for (int64_t b : plan.waitsAtEnd)
    text += fmt::format(";   wait for all_reduce bucket {}\n", b);
  for (const FinalCopy &c : plan.copies)
    text += fmt::format(";   copy %{} {} -> args[{}]\n", c.value, where(c.from), c.slot);
  return text;
}

} // namespace kiln::codegen
