// The memory report of a planned kernel program (`kiln ir ... --memory`).
#include "kiln/passes/MemoryPlan.h"

#include <fmt/format.h>

#include <algorithm>

namespace kiln {

namespace {

bool hasComponent(std::string_view scope, std::string_view component) {
  size_t start = 0;
  while (start <= scope.size()) {
    size_t slash = scope.find('/', start);
    std::string_view part = scope.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == component)
      return true;
    if (slash == std::string_view::npos)
      break;
    start = slash + 1;
  }
  return false;
}

bool backwardScope(std::string_view scope) { return hasComponent(scope, "grad"); }
bool forwardScope(std::string_view scope) {
  return !backwardScope(scope) && scope.substr(0, scope.find('/')) != "optim";
}

/// The scope of the node that writes each buffer ("" for arguments and constants).
std::vector<std::string> producerScopes(const KernelProgram &p) {
  std::vector<std::string> scopes(p.buffers.size());
  for (const Kernel &k : p.kernels)
    for (const Kernel::Result &r : k.outputs)
      scopes[r.buffer] = k.body[r.local - k.inputs.size()].scope;
  return scopes;
}

std::string bytes(int64_t n) {
  if (n >= 10 * 1024 * 1024)
    return fmt::format("{} B ({:.1f} MiB)", n, static_cast<double>(n) / (1024 * 1024));
  if (n >= 10 * 1024)
    return fmt::format("{} B ({:.1f} KiB)", n, static_cast<double>(n) / 1024);
  return fmt::format("{} B", n);
}

std::string percent(int64_t part, int64_t whole) {
  return whole ? fmt::format("{:.1f}%",
                             100.0 * static_cast<double>(part) / static_cast<double>(whole))
               : "-";
}

} // namespace

MemoryFigures memoryFigures(const KernelProgram &p, const MemoryPlan &plan) {
  MemoryFigures f;
  f.arenaBytes = plan.arenaBytes;
  f.updates = static_cast<int64_t>(p.updates.size());
  std::vector<int64_t> live(p.kernels.size() + 1, 0);
  for (size_t b = 0; b < p.buffers.size(); ++b) {
    const BufferPlacement &pl = plan.placements[b];
    bool overState = pl.where == Placement::InPlace && p.buffers[pl.state].kind == BufferKind::State;
    f.inPlaceUpdates += overState;
    // A value written over a buffer of its own kernel is an intermediate buffer all the
    // same; it just needs no bytes of its own (the buffer it replaces is live for both).
    if (pl.where == Placement::InPlace && !overState)
      f.intermediateBytes += allocatedBytes(p.buffers[b]);
    if (pl.where != Placement::Arena)
      continue;
    int64_t size = allocatedBytes(p.buffers[b]);
    f.intermediateBytes += size;
    const Lifetime &l = plan.lifetimes[b];
    for (int k = std::max(l.first, 0); k <= l.last && k < static_cast<int>(live.size()); ++k)
      live[k] += size;
  }
  auto peak = std::max_element(live.begin(), live.end());
  f.peakLiveBytes = *peak;
  f.peakKernel = p.kernels.empty() ? -1 : static_cast<int>(peak - live.begin());
  std::vector<std::string> scopes = producerScopes(p);
  std::vector<bool> kept(p.buffers.size(), false);
  for (const Kernel &k : p.kernels) {
    if (!backwardScope(k.name))
      continue;
    for (BufferId b : k.inputs) {
      BufferKind kind = p.buffers[b].kind;
      if ((kind == BufferKind::Temporary || kind == BufferKind::Output) &&
          forwardScope(scopes[b]) && !kept[b]) {
        kept[b] = true;
        f.keptActivations.push_back(b);
        f.keptActivationBytes += static_cast<int64_t>(p.buffers[b].byteSize());
      }
    }
  }
  std::sort(f.keptActivations.begin(), f.keptActivations.end());
  return f;
}

std::string memoryReport(const KernelProgram &p, const MemoryPlan &plan) {
  MemoryFigures f = memoryFigures(p, plan);
  MemoryPlan other =
      planMemory(p,
                 plan.strategy == ArenaStrategy::BestFit ? ArenaStrategy::Colouring
                                                         : ArenaStrategy::BestFit,
                 plan.results);
  int64_t written = 0;
  for (const Buffer &b : p.buffers)
    if (b.kind == BufferKind::Temporary || b.kind == BufferKind::Output ||
        b.kind == BufferKind::Scratch)
      written += allocatedBytes(b);
  std::string s = fmt::format("memory plan of @{} ({} kernels, {} buffers)\n", p.name,
                              p.kernels.size(), p.buffers.size());
  s += fmt::format("  before planning (one {}-byte aligned allocation per buffer):\n",
                   kArenaAlignment);
  s += fmt::format("    all buffers the program writes:    {}\n", bytes(written));
  s += fmt::format("    intermediate buffers (arena-bound): {}\n", bytes(f.intermediateBytes));
  s += fmt::format("    peak live intermediate bytes:      {} (lower bound of any arena)\n",
                   bytes(f.peakLiveBytes));
  if (f.peakKernel >= 0) {
    s += fmt::format("    live at the peak (kernel {} {}):", f.peakKernel,
                     p.kernels[f.peakKernel].name);
    for (size_t b = 0; b < p.buffers.size(); ++b)
      if (plan.placements[b].where == Placement::Arena && plan.lifetimes[b].first <= f.peakKernel &&
          f.peakKernel <= plan.lifetimes[b].last)
        s += fmt::format(" %{}", p.buffers[b].name);
    s += "\n";
  }
  s += fmt::format("  after planning:\n");
  s += fmt::format("    arena ({}, chosen):  {} = {} of the intermediate buffers\n",
                   arenaStrategyName(plan.strategy), bytes(plan.arenaBytes),
                   percent(plan.arenaBytes, f.intermediateBytes));
  s += fmt::format("    arena ({}):          {} = {}\n", arenaStrategyName(other.strategy),
                   bytes(other.arenaBytes), percent(other.arenaBytes, f.intermediateBytes));
  int64_t scratch = 0, scratchBuffers = 0, caller = 0;
  for (size_t b = 0; b < p.buffers.size(); ++b) {
    caller += plan.placements[b].where == Placement::Caller;
    if (p.buffers[b].kind == BufferKind::Scratch) {
      ++scratchBuffers;
      scratch += allocatedBytes(p.buffers[b]);
    }
  }
  if (scratchBuffers)
    s += fmt::format("    of which kernel scratch: {} buffers, {}\n", scratchBuffers,
                     bytes(scratch));
  if (plan.results == ResultPlacement::Caller) {
    s += fmt::format("    results written straight into the caller's tensors: {} buffers\n",
                     caller);
  } else {
    s += fmt::format("    in-place state updates: {} of {}\n", f.inPlaceUpdates, f.updates);
    for (const auto &u : p.updates)
      if (!(plan.placements[u.value].where == Placement::InPlace &&
            plan.placements[u.value].state == u.state) &&
          u.value != u.state)
        s += fmt::format("      not in place: %{} <- %{}\n", p.buffers[u.state].name,
                         p.buffers[u.value].name);
  }
  s += fmt::format("  forward activations kept for the backward pass: {} buffers, {}\n",
                   f.keptActivations.size(), bytes(f.keptActivationBytes));
  std::vector<std::string> scopes = producerScopes(p);
  for (BufferId b : f.keptActivations)
    s += fmt::format("    %{} : {} @{}  {}\n", p.buffers[b].name, p.buffers[b].type.str(),
                     scopes[b], bytes(static_cast<int64_t>(p.buffers[b].byteSize())));
  return s;
}

} // namespace kiln
