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
    bool written = kind == BufferKind::Temporary || kind == BufferKind::Output;
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
  // No two arena buffers alive at the same time share a byte.
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b) {
      const BufferPlacement &pa = plan.placements[a], &pb = plan.placements[b];
      if (pa.where != Placement::Arena || pb.where != Placement::Arena)
        continue;
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
  // In-place updates: the writer runs after every other reader of the old value, reads it
  // only elementwise, and neither value is an output.
  for (size_t b = 0; b < n; ++b) {
    const BufferPlacement &pl = plan.placements[b];
    if (pl.where != Placement::InPlace)
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
