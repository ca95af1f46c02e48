// The lowering pipeline: the one path from a step graph to what the JIT runs. The JIT
// (CompiledGraph), `kiln ir --stage program|llvm|asm` and the tests all lower through
// lowerStep, so the program and memory plan kiln prints are the ones the JIT runs.
//
//   graph-passes  the default pass pipeline (simplify, constfold, cse, dce) to a fixed point
//   fuse          nodes grouped into kernels (passes/Fusion.cpp, FusionRules.cpp)
//   lower         the kernel program: kernels over typed buffers (passes/Lower.cpp)
//   add-scratch   the scratch buffers the target's libjit calls need (StepPlan.cpp)
//   plan-memory   liveness and one arena; results go straight into the caller's tensors
//   plan-stages   each kernel as stages (loop nests, libjit calls) over those buffers
//   emit-llvm     one LLVM module: a body and launcher per stage, kiln_step (ModuleEmitter)
//   optimize      LLVM's O3 for the host (JitEngine), then machine code
#pragma once

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/codegen/StepPlan.h"
#include "kiln/ir/Graph.h"
#include "kiln/passes/KernelProgram.h"
#include "kiln/passes/MemoryPlan.h"
#include "kiln/passes/PassManager.h"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::codegen {

/// The steps of the pipeline, in order, with one line each (passes/Passes.def's lowering
/// steps; `kiln passes` lists them).
const std::vector<PassInfo> &pipelineSteps();

/// The target of `options` on this host: its ISA (or the forced one), the workers of
/// parallel loops, profiling.
PlanOptions planOptions(const JitOptions &options);

struct LowerOptions {
  PlanOptions target;
  /// Run the graph passes (off: the graph is lowered as given).
  bool optimizeGraph = true;
  ArenaStrategy arena = kDefaultArenaStrategy;
  /// Steps (pipelineSteps' names, graph pass names, or "all") whose result is dumped.
  std::set<std::string, std::less<>> printAfter;
  /// Receives each dump; required when printAfter is not empty.
  std::function<void(std::string_view)> dump;
  /// Graph pass and fusion counters go here when given.
  Statistics *stats = nullptr;
};

/// A step graph lowered to the point of emitting LLVM IR. Not movable: `stages` refers
/// to `graph`.
struct LoweredStep {
  Graph graph;           ///< after the graph passes
  KernelProgram program; ///< with the target's scratch buffers
  MemoryPlan memory;     ///< ResultPlacement::Caller
  StepPlan stages;
  /// Milliseconds each step took, in pipeline order.
  std::vector<PhaseTime> phases;

  LoweredStep() = default;
  LoweredStep(const LoweredStep &) = delete;
  LoweredStep &operator=(const LoweredStep &) = delete;
};

/// Runs the pipeline up to plan-stages on `graph` (which must verify). kiln::Error names
/// the step that failed; an unknown name in printAfter is an error before anything runs.
std::unique_ptr<LoweredStep> lowerStep(const Graph &graph, const LowerOptions &options);

} // namespace kiln::codegen
