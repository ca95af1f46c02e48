// emitModule: a planned graph as one LLVM module with one entry,
//   extern "C" int32_t kiln_step(void **args, uint8_t *arena)
// where args holds the inputs, then the states, then the output and update tensors
// (in graph order), and arena is the memory plan's arenaBytes, 64-byte aligned. The
// entry runs every program kernel in order, each as its stages (internal functions over
// work items, called directly or through kiln_parallel_for), makes the final copies and
// returns 0.
#pragma once

#include "kiln/codegen/StepPlan.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace kiln::codegen {

/// The name of the entry function.
inline constexpr const char *kStepSymbol = "kiln_step";

struct EmittedModule {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  /// The program's kernels in execution order, as profiles name them: one for one with
  /// KernelProgram::kernels.
  std::vector<std::string> kernelNames;
  /// The stage functions each kernel calls.
  std::vector<size_t> stages;
  /// Distinct kernel bodies: kernels that differ only in their buffers share one.
  size_t bodies = 0;
};

/// The unoptimized module of `graph`'s stages `plan`, libjit linked in, verified.
EmittedModule emitModule(const Graph &graph, const StepPlan &plan);

} // namespace kiln::codegen
