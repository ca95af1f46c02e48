// plan-memory: liveness, in-place state updates and arena offsets.
//
// Algorithm:
//   1. Liveness: a buffer lives from the kernel that writes it to the last kernel that
//      reads it; outputs and new state values to the end of the step (so nothing
//      overwrites them); arguments and constants are external and not planned.
//   2. Results: with ResultPlacement::Caller each output and new state value a kernel
//      writes goes straight into the caller's tensor (its argument slot); otherwise
//      in-place updates: `update s <- b` puts b in s's storage when every kernel reading
//      the old s runs no later than b's writer (fusion's ordering tries to arrange
//      that), the writer reads s only elementwise (fusion's rule R4, checked again
//      here: then it reads s[i] before writing s[i]), the old s is not an output, and b
//      is not an output or another state's new value.
//   3. The arena: every other temporary and output gets an offset (sizes rounded up to
//      kArenaAlignment) such that two buffers with overlapping lifetimes never overlap
//      in bytes, either
//        best fit:  each buffer goes to the smallest gap between the buffers already
//                   placed whose lifetimes overlap its own, or on top; tried with four
//                   placement orders (largest, earliest, longest-lived, largest
//                   size x lifetime first) and then seeded random orders until one
//                   reaches the peak of live bytes (the lower bound), keeping the
//                   smallest arena;
//        colouring: an interference graph (Boost.Graph adjacency_list, an edge between
//                   overlapping lifetimes) coloured greedily, largest buffer first
//                   (boost::sequential_vertex_coloring); each colour is one slot as big
//                   as its largest buffer, slots laid end to end.
#include "kiln/passes/MemoryPlan.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/sequential_vertex_coloring.hpp>

#include <algorithm>
#include <cassert>
#include <random>

namespace kiln {

std::string_view arenaStrategyName(ArenaStrategy strategy) {
  switch (strategy) {
  case ArenaStrategy::BestFit:
    return "best-fit";
  case ArenaStrategy::Colouring:
    return "colouring";
  }
  return "?";
}

std::vector<Lifetime> bufferLifetimes(const KernelProgram &p) {
  int end = static_cast<int>(p.kernels.size());
  std::vector<Lifetime> life(p.buffers.size());
  for (size_t b = 0; b < p.buffers.size(); ++b) {
    BufferKind kind = p.buffers[b].kind;
    if (kind == BufferKind::Input || kind == BufferKind::State || kind == BufferKind::Constant)
      life[b] = {-1, end};
  }
  for (int k = 0; k < end; ++k) {
    const Kernel &kernel = p.kernels[k];
    for (BufferId b : kernel.inputs)
      life[b].last = std::max(life[b].last, k);
    for (const Kernel::Result &r : kernel.outputs) {
      life[r.buffer].first = k;
      life[r.buffer].last = std::max(life[r.buffer].last, k);
    }
    for (BufferId b : kernel.scratch)
      life[b] = {k, k};
  }
  for (const auto &o : p.outputs)
    life[o.buffer].last = end;
  for (const auto &u : p.updates)
    life[u.value].last = end;
  return life;
}

int64_t allocatedBytes(const Buffer &b) {
  auto bytes = static_cast<int64_t>(b.byteSize());
  return std::max<int64_t>(kArenaAlignment,
                           (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment);
}

namespace {

int64_t alignedSize(const Buffer &b) { return allocatedBytes(b); }

/// True when kernel k reads buffer `state` only through elementwise ops of the state's
/// shape, so writing element i of its new value after reading element i of the old one
/// is safe (fusion's rule R4 guarantees it; checked here so the plan does not depend on
/// who built the program).
bool readsElementwise(const KernelProgram &p, const Kernel &k, BufferId state) {
  std::vector<bool> tainted(k.numLocals(), false);
  for (size_t i = 0; i < k.inputs.size(); ++i)
    tainted[i] = k.inputs[i] == state;
  for (size_t i = 0; i < k.body.size(); ++i) {
    const Node &n = k.body[i];
    bool t = false;
    for (ValueId o : n.operands)
      t |= tainted[static_cast<size_t>(o)];
    if (!t)
      continue;
    if (opInfo(n.op).category != OpCategory::Elementwise ||
        n.type.shape != p.buffers[state].type.shape)
      return false;
    tainted[k.inputs.size() + i] = true;
  }
  return true;
}

/// What each written value of kernel `k` reads from memory when the kernel runs as
/// writePasses says: reads[local] lists (local read, whether element for element: only
/// elementwise ops between the two, so the element index is the same). A value reads the
/// kernel's inputs and the values of earlier passes; the rest it evaluates.
std::vector<std::vector<std::pair<int32_t, bool>>>
valueReads(const Kernel &k, const std::vector<std::vector<int32_t>> &passes) {
  auto inputs = static_cast<int32_t>(k.inputs.size());
  std::vector<int32_t> passOf(k.numLocals(), INT32_MAX);
  for (size_t pass = 0; pass < passes.size(); ++pass)
    for (int32_t local : passes[pass])
      passOf[local] = static_cast<int32_t>(pass);
  auto elementwise = [](const Node &n) {
    return opInfo(n.op).category == OpCategory::Elementwise && n.op != OpKind::RandomUniform;
  };
  std::vector<std::vector<std::pair<int32_t, bool>>> reads(k.numLocals());
  for (const std::vector<int32_t> &pass : passes)
    for (int32_t value : pass) {
      const Node &root = k.body[value - inputs];
      std::vector<std::pair<int32_t, bool>> stack;
      for (ValueId o : root.operands)
        stack.push_back({static_cast<int32_t>(o), elementwise(root)});
      while (!stack.empty()) {
        auto [local, path] = stack.back();
        stack.pop_back();
        if (local < inputs || passOf[local] < passOf[value]) {
          reads[value].push_back({local, path});
          continue;
        }
        const Node &node = k.body[local - inputs];
        for (ValueId o : node.operands)
          stack.push_back({static_cast<int32_t>(o), path && elementwise(node)});
      }
    }
  return reads;
}

/// A kernel's own buffer L (written and read by that kernel only) can hold a value O the
/// same kernel writes in a later pass when that pass reads L only element for element
/// and nothing after O reads L: element i of O is stored once element i of L was read
/// for the last time. A contraction's result and its epilogue (bias, activation) then
/// share one buffer.
void decideReuseInKernel(const KernelProgram &p, MemoryPlan &plan) {
  std::vector<bool> readElsewhere(p.buffers.size(), false), taken(p.buffers.size(), false);
  for (const Kernel &k : p.kernels)
    for (BufferId b : k.inputs)
      readElsewhere[b] = true;
  for (const auto &o : p.outputs)
    readElsewhere[o.buffer] = true;
  for (const auto &u : p.updates)
    readElsewhere[u.value] = true;
  for (const Kernel &k : p.kernels) {
    std::vector<std::vector<int32_t>> passes = writePasses(k);
    std::vector<std::vector<std::pair<int32_t, bool>>> reads = valueReads(k, passes);
    std::vector<BufferId> bufferOf(k.numLocals(), -1);
    for (const Kernel::Result &r : k.outputs)
      bufferOf[r.local] = r.buffer;
    // How the values from (pass, index) on read `local`: 0 not, 1 element for element, 2 other.
    auto readFrom = [&](size_t pass, size_t index, int32_t local) {
      int how = 0;
      for (; pass < passes.size(); ++pass, index = 0)
        for (; index < passes[pass].size(); ++index)
          for (auto [read, same] : reads[passes[pass][index]])
            if (read == local)
              how = std::max(how, same ? 1 : 2);
      return how;
    };
    for (size_t lp = 0; lp < passes.size(); ++lp) {
      for (int32_t l : passes[lp]) {
        BufferId local = bufferOf[l];
        if (readElsewhere[local] || taken[local] || plan.placements[local].where != Placement::Arena)
          continue;
        for (size_t op = lp + 1; op < passes.size() && !taken[local]; ++op) {
          if (readFrom(op, 0, l) != 1) // the pass must read L element for element only
            continue;
          for (size_t oi = 0; oi < passes[op].size(); ++oi) {
            int32_t o = passes[op][oi];
            BufferId target = bufferOf[o];
            if (taken[target] || plan.placements[target].where != Placement::Arena ||
                allocatedBytes(p.buffers[target]) != allocatedBytes(p.buffers[local]) ||
                k.body[o - k.inputs.size()].type.shape != p.buffers[local].type.shape ||
                readFrom(op, oi + 1, l) != 0)
              continue;
            taken[local] = taken[target] = true;
            plan.placements[target] = {Placement::InPlace, -1, local};
            plan.lifetimes[local].last =
                std::max(plan.lifetimes[local].last, plan.lifetimes[target].last);
            break;
          }
        }
      }
    }
  }
}

void decideInPlace(const KernelProgram &p, MemoryPlan &plan) {
  std::vector<bool> isOutput(p.buffers.size(), false), taken(p.buffers.size(), false);
  for (const auto &o : p.outputs)
    isOutput[o.buffer] = true;
  std::vector<int> updatesOf(p.buffers.size(), 0);
  for (const auto &u : p.updates)
    ++updatesOf[u.value];
  for (const auto &u : p.updates) {
    const Buffer &b = p.buffers[u.value];
    if (u.value == u.state || isOutput[u.state] || isOutput[u.value] || updatesOf[u.value] != 1 ||
        (b.kind != BufferKind::Output && b.kind != BufferKind::Temporary) || taken[u.value])
      continue;
    int writer = plan.lifetimes[u.value].first;
    bool readersFirst = true;
    for (size_t k = 0; k < p.kernels.size(); ++k) {
      const std::vector<BufferId> &in = p.kernels[k].inputs;
      if (static_cast<int>(k) > writer && std::find(in.begin(), in.end(), u.state) != in.end())
        readersFirst = false;
    }
    if (!readersFirst || !readsElementwise(p, p.kernels[writer], u.state))
      continue;
    taken[u.value] = true;
    plan.placements[u.value] = {Placement::InPlace, -1, u.state};
  }
}

/// The arena buffers in the order a strategy places them. `order` 0: largest first;
/// 1: earliest written first (how a running allocator sees them); 2: longest-lived
/// first; 3: largest size x lifetime first. Ties keep the earlier-written first.
std::vector<BufferId> arenaBuffers(const KernelProgram &p, const MemoryPlan &plan, int order) {
  std::vector<BufferId> ids;
  for (size_t b = 0; b < p.buffers.size(); ++b)
    if (plan.placements[b].where == Placement::Arena)
      ids.push_back(static_cast<BufferId>(b));
  auto key = [&](BufferId b) -> int64_t {
    const Lifetime &l = plan.lifetimes[b];
    int64_t size = alignedSize(p.buffers[b]), length = l.last - l.first + 1;
    switch (order) {
    case 0:
      return -size;
    case 1:
      return l.first;
    case 2:
      return -length;
    default:
      return -size * length;
    }
  };
  std::stable_sort(ids.begin(), ids.end(), [&](BufferId a, BufferId b) {
    int64_t ka = key(a), kb = key(b);
    return ka != kb ? ka < kb : plan.lifetimes[a].first < plan.lifetimes[b].first;
  });
  return ids;
}

/// Places the buffers in `ids` order, each at the smallest gap that fits among the
/// already placed buffers whose lifetimes overlap its own (or on top of them).
void bestFitInOrder(const KernelProgram &p, MemoryPlan &plan, const std::vector<BufferId> &ids) {
  plan.arenaBytes = 0;
  std::vector<BufferId> placed;
  std::vector<int64_t> sizes(p.buffers.size(), 0);
  for (BufferId b : ids)
    sizes[b] = alignedSize(p.buffers[b]);
  std::vector<std::pair<int64_t, int64_t>> busy; // [offset, end) of overlapping buffers
  for (BufferId b : ids) {
    int64_t size = sizes[b];
    busy.clear();
    for (BufferId o : placed)
      if (plan.lifetimes[o].overlaps(plan.lifetimes[b]))
        busy.push_back({plan.placements[o].offset, plan.placements[o].offset + sizes[o]});
    std::sort(busy.begin(), busy.end());
    int64_t cursor = 0, best = -1, bestGap = INT64_MAX;
    for (const auto &[start, end] : busy) {
      int64_t gap = start - cursor;
      if (gap >= size && gap < bestGap) {
        best = cursor;
        bestGap = gap;
      }
      cursor = std::max(cursor, end);
    }
    plan.placements[b].offset = best >= 0 ? best : cursor;
    plan.arenaBytes = std::max(plan.arenaBytes, plan.placements[b].offset + size);
    placed.push_back(b);
  }
}

/// The most bytes of arena buffers live during one kernel: no placement does better.
int64_t peakLive(const KernelProgram &p, const MemoryPlan &plan) {
  std::vector<int64_t> live(p.kernels.size() + 1, 0);
  for (size_t b = 0; b < p.buffers.size(); ++b)
    if (plan.placements[b].where == Placement::Arena)
      for (int k = std::max(plan.lifetimes[b].first, 0); k <= plan.lifetimes[b].last; ++k)
        live[k] += alignedSize(p.buffers[b]);
  return *std::max_element(live.begin(), live.end());
}

/// Best fit in each heuristic order, then in seeded random orders until the arena
/// reaches the peak of live bytes (the lower bound) or the orders' budget is spent; keeps
/// the smallest arena. Deterministic: the generator's seed is fixed.
void bestFit(const KernelProgram &p, MemoryPlan &plan) {
  constexpr int kHeuristicOrders = 4, kMaxRandomOrders = 128;
  // Each order costs about n^2 overlap tests: a budget keeps planning a long unrolled
  // sequence (lstm: 1,300 arena buffers) to a few orders and milliseconds.
  constexpr double kOverlapTests = 4e6;
  int64_t bound = peakLive(p, plan);
  std::vector<BufferId> ids = arenaBuffers(p, plan, 0);
  double n = static_cast<double>(ids.size());
  int kRandomOrders = static_cast<int>(std::min<double>(kMaxRandomOrders,
                                                        kOverlapTests / std::max(1.0, n * n)));
  std::mt19937 rng(0x6b696c6e); // "kiln"
  MemoryPlan best;
  for (int order = 0; order < kHeuristicOrders + kRandomOrders; ++order) {
    if (order >= kHeuristicOrders)
      std::shuffle(ids.begin(), ids.end(), rng);
    MemoryPlan trial = plan;
    bestFitInOrder(p, trial, order < kHeuristicOrders ? arenaBuffers(p, plan, order) : ids);
    if (order == 0 || trial.arenaBytes < best.arenaBytes)
      best = std::move(trial);
    if (best.arenaBytes <= bound)
      break;
  }
  plan = std::move(best);
}

void colouring(const KernelProgram &p, MemoryPlan &plan) {
  using Interference = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  using Vertex = boost::graph_traits<Interference>::vertex_descriptor;
  std::vector<BufferId> ids = arenaBuffers(p, plan, /*order=*/0);
  Interference graph(ids.size());
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t j = i + 1; j < ids.size(); ++j)
      if (plan.lifetimes[ids[i]].overlaps(plan.lifetimes[ids[j]]))
        boost::add_edge(i, j, graph);
  // Vertices are numbered largest buffer first, so this is also the colouring order.
  std::vector<Vertex> order(ids.size());
  for (size_t i = 0; i < ids.size(); ++i)
    order[i] = i;
  std::vector<size_t> colour(ids.size());
  auto colourMap =
      boost::make_iterator_property_map(colour.begin(), boost::get(boost::vertex_index, graph));
  size_t colours =
      ids.empty()
          ? 0
          : boost::sequential_vertex_coloring(
                graph,
                boost::make_iterator_property_map(order.begin(), boost::identity_property_map()),
                colourMap);
  std::vector<int64_t> slotSize(colours, 0), slotOffset(colours, 0);
  for (size_t i = 0; i < ids.size(); ++i)
    slotSize[colour[i]] = std::max(slotSize[colour[i]], alignedSize(p.buffers[ids[i]]));
  for (size_t c = 1; c < colours; ++c)
    slotOffset[c] = slotOffset[c - 1] + slotSize[c - 1];
  for (size_t i = 0; i < ids.size(); ++i)
    plan.placements[ids[i]].offset = slotOffset[colour[i]];
  plan.arenaBytes = colours ? slotOffset.back() + slotSize.back() : 0;
}

/// Each output and update in turn claims its buffer for the caller's tensor of its slot,
/// if a kernel writes that buffer and no earlier result claimed it.
void placeInCallerTensors(const KernelProgram &p, MemoryPlan &plan) {
  auto slot = static_cast<int64_t>(p.inputBuffers().size() + p.stateBuffers().size());
  auto claim = [&](BufferId b, int64_t s) {
    if (plan.placements[b].where == Placement::Arena)
      plan.placements[b] = {Placement::Caller, -1, -1, s};
  };
  for (const auto &o : p.outputs)
    claim(o.buffer, slot++);
  for (const auto &u : p.updates)
    claim(u.value, slot++);
}

} // namespace

MemoryPlan planMemory(const KernelProgram &p, ArenaStrategy strategy, ResultPlacement results) {
  MemoryPlan plan;
  plan.strategy = strategy;
  plan.results = results;
  plan.lifetimes = bufferLifetimes(p);
  plan.placements.resize(p.buffers.size());
  for (size_t b = 0; b < p.buffers.size(); ++b) {
    BufferKind kind = p.buffers[b].kind;
    if (kind == BufferKind::Temporary || kind == BufferKind::Output || kind == BufferKind::Scratch)
      plan.placements[b].where = Placement::Arena;
  }
  if (results == ResultPlacement::Caller)
    placeInCallerTensors(p, plan);
  else
    decideInPlace(p, plan);
  decideReuseInKernel(p, plan);
  switch (strategy) {
  case ArenaStrategy::BestFit:
    bestFit(p, plan);
    break;
  case ArenaStrategy::Colouring:
    colouring(p, plan);
    break;
  }
  for (BufferPlacement &pl : plan.placements)
    if (pl.where == Placement::InPlace && plan.placements[pl.state].where == Placement::Arena)
      pl.offset = plan.placements[pl.state].offset;
  return plan;
}

} // namespace kiln
