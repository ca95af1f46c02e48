// An independent checker of memory plans, written for the tests without
// passes/MemoryPlan.cpp's code: it recomputes every buffer's lifetime from the kernel
// program and returns each violation it finds as a line of text.
#pragma once

#include "kiln/passes/KernelProgram.h"
#include "kiln/passes/MemoryPlan.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

namespace kiln::test {

inline std::vector<std::string> checkMemoryPlan(const KernelProgram &p, const MemoryPlan &plan) {
  std::vector<std::string> problems;
  auto name = [&](size_t b) { return "%" + p.buffers[b].name; };
  size_t n = p.buffers.size();
  if (plan.placements.size() != n)
    return {fmt::format("{} placements for {} buffers", plan.placements.size(), n)};
  // Lifetimes from scratch: [writer, last reader]; results live past the last kernel.
  int end = static_cast<int>(p.kernels.size());
  std::vector<int> from(n, -1), to(n, -1);
  for (int k = 0; k < end; ++k) {
    for (BufferId b : p.kernels[k].inputs)
      to[b] = std::max(to[b], k);
    for (const Kernel::Result &r : p.kernels[k].outputs) {
      if (from[r.buffer] >= 0)
        problems.push_back(fmt::format("{} is written twice", name(r.buffer)));
      from[r.buffer] = k;
      to[r.buffer] = std::max(to[r.buffer], k);
    }
    for (BufferId b : p.kernels[k].scratch) {
      from[b] = k;
      to[b] = k;
    }
  }
  std::vector<bool> isOutput(n, false);
  for (const auto &o : p.outputs) {
    to[o.buffer] = end;
    isOutput[o.buffer] = true;
  }
  for (const auto &u : p.updates)
    to[u.value] = end;

  for (size_t b = 0; b < n; ++b) {
    const BufferPlacement &pl = plan.placements[b];
    BufferKind kind = p.buffers[b].kind;
    bool written = kind == BufferKind::Temporary || kind == BufferKind::Output ||
                   kind == BufferKind::Scratch;
    if (pl.where == Placement::Caller && plan.results != ResultPlacement::Caller)
      problems.push_back(fmt::format("{} is in a caller's tensor in a plan that has none",
                                     name(b)));
    if (pl.where == Placement::Caller && kind != BufferKind::Output)
      problems.push_back(fmt::format("{} ({}) is in a caller's tensor", name(b),
                                     bufferKindName(kind)));
    if (!written && pl.where != Placement::External)
      problems.push_back(fmt::format("{} ({}) is not external", name(b), bufferKindName(kind)));
    if (written && pl.where == Placement::External)
      problems.push_back(fmt::format("{} has no storage", name(b)));
    if (pl.where == Placement::Arena) {
      auto size = static_cast<int64_t>(p.buffers[b].byteSize());
      if (pl.offset < 0 || pl.offset % kArenaAlignment || pl.offset + size > plan.arenaBytes)
        problems.push_back(fmt::format("{} at offset {} ({} bytes) is outside the {}-byte arena "
                                       "or misaligned",
                                       name(b), pl.offset, size, plan.arenaBytes));
    }
  }
  // A value written over a buffer of its own kernel (not a state) occupies that buffer's
  // bytes: it is checked as an arena buffer there.
  auto overArena = [&](size_t b) {
    const BufferPlacement &pl = plan.placements[b];
    return pl.where == Placement::InPlace && p.buffers[pl.state].kind != BufferKind::State;
  };
  auto inArena = [&](size_t b) { return plan.placements[b].where == Placement::Arena || overArena(b); };
  // No two arena buffers alive at the same time share a byte.
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b) {
      const BufferPlacement &pa = plan.placements[a], &pb = plan.placements[b];
      if (!inArena(a) || !inArena(b))
        continue;
      if ((overArena(a) && pa.state == static_cast<BufferId>(b)) ||
          (overArena(b) && pb.state == static_cast<BufferId>(a)))
        continue; // checked below
      if (overArena(a) && pa.offset != plan.placements[pa.state].offset)
        problems.push_back(fmt::format("{} is not at the offset of {}", name(a), name(pa.state)));
      bool together = from[a] <= to[b] && from[b] <= to[a];
      int64_t endA = pa.offset + static_cast<int64_t>(p.buffers[a].byteSize());
      int64_t endB = pb.offset + static_cast<int64_t>(p.buffers[b].byteSize());
      bool shareBytes = pa.offset < endB && pb.offset < endA;
      if (together && shareBytes)
        problems.push_back(fmt::format("{} [{},{}] and {} [{},{}] are live together and overlap "
                                       "at bytes [{},{})",
                                       name(a), from[a], to[a], name(b), from[b], to[b],
                                       std::max(pa.offset, pb.offset), std::min(endA, endB)));
    }
  // Over a buffer of its own kernel: the buffer is that kernel's alone; the kernel runs
  // as writePasses says (each value evaluated down to inputs and earlier passes'
  // values); the pass writing b reads it only element for element, and no value after b
  // (in its pass, in body order, or later) reads it.
  for (size_t b = 0; b < n; ++b) {
    if (!overArena(b))
      continue;
    BufferId l = plan.placements[b].state;
    if (from[l] != from[b] || from[b] < 0 || to[l] != from[l] || isOutput[l])
      problems.push_back(fmt::format("{} replaces {}, which is not its kernel's alone", name(b),
                                     name(l)));
    if (from[b] < 0)
      continue;
    const Kernel &k = p.kernels[from[b]];
    auto inputs = static_cast<ValueId>(k.inputs.size());
    std::vector<std::vector<int32_t>> passes = writePasses(k);
    std::vector<int> passOf(k.numLocals(), 1 << 30);
    ValueId localB = -1, localL = -1;
    for (size_t i = 0; i < passes.size(); ++i)
      for (int32_t local : passes[i])
        passOf[local] = static_cast<int>(i);
    for (const Kernel::Result &r : k.outputs) {
      localB = r.buffer == static_cast<BufferId>(b) ? r.local : localB;
      localL = r.buffer == l ? r.local : localL;
    }
    // How value `v` reads L: 0 not at all, 1 element for element, 2 otherwise.
    auto readsL = [&](ValueId v) {
      int how = 0;
      std::vector<std::pair<ValueId, bool>> stack{{v, true}};
      while (!stack.empty()) {
        auto [local, same] = stack.back();
        stack.pop_back();
        if (local != v && (local < inputs || passOf[local] < passOf[v])) {
          if (local == localL)
            how = std::max(how, same ? 1 : 2);
          continue;
        }
        const Node &node = k.body[local - inputs];
        bool elementwise = opInfo(node.op).category == OpCategory::Elementwise &&
                           node.op != OpKind::RandomUniform;
        for (ValueId o : node.operands)
          stack.push_back({o, same && elementwise});
      }
      return how;
    };
    if (passOf[localL] >= passOf[localB])
      problems.push_back(fmt::format("{} replaces {} in the same pass", name(b), name(l)));
    for (int32_t v : passes[passOf[localB]])
      if (readsL(v) == 2 || (v > localB && readsL(v) != 0))
        problems.push_back(fmt::format("{} replaces {} but its pass reads it otherwise", name(b),
                                       name(l)));
    for (size_t later = passOf[localB] + 1; later < passes.size(); ++later)
      for (int32_t v : passes[later])
        if (readsL(v) != 0)
          problems.push_back(fmt::format("{} is read after {} replaced it", name(l), name(b)));
  }
  // In-place updates: the writer runs after every other reader of the old value, reads it
  // only elementwise, and neither value is an output.
  for (size_t b = 0; b < n; ++b) {
    const BufferPlacement &pl = plan.placements[b];
    if (pl.where != Placement::InPlace || overArena(b))
      continue;
    bool updated = false;
    for (const auto &u : p.updates)
      updated |= u.value == static_cast<BufferId>(b) && u.state == pl.state;
    if (!updated)
      problems.push_back(
          fmt::format("{} is in place of {} without that update", name(b), name(pl.state)));
    if (isOutput[pl.state] || isOutput[b])
      problems.push_back(
          fmt::format("{} is in place of {} but one is an output", name(b), name(pl.state)));
    for (int k = from[b] + 1; k < end; ++k) {
      const std::vector<BufferId> &in = p.kernels[k].inputs;
      if (std::find(in.begin(), in.end(), pl.state) != in.end())
        problems.push_back(fmt::format("kernel {} reads the old {} after {} overwrote it", k,
                                       name(pl.state), name(b)));
    }
    const Kernel &w = p.kernels[from[b]];
    std::vector<bool> reads(w.numLocals(), false);
    for (size_t i = 0; i < w.inputs.size(); ++i)
      reads[i] = w.inputs[i] == pl.state;
    for (size_t i = 0; i < w.body.size(); ++i) {
      const Node &node = w.body[i];
      for (ValueId o : node.operands)
        reads[w.inputs.size() + i] = reads[w.inputs.size() + i] || reads[o];
      if (reads[w.inputs.size() + i] && (opInfo(node.op).category != OpCategory::Elementwise ||
                                         node.type.shape != p.buffers[pl.state].type.shape))
        problems.push_back(fmt::format("kernel {} reads {} through {} while overwriting it",
                                       from[b], name(pl.state), mnemonic(node.op)));
    }
  }
  return problems;
}

} // namespace kiln::test
