// emitModule: a planned graph as one LLVM module with one entry,
//   extern "C" int32_t kiln_step(void **args, uint8_t *arena)
// where args holds the inputs, then the states, then the output and update tensors
// (in graph order), and arena is KernelPlan::arenaBytes of 64-byte-aligned scratch. The
// entry runs every kernel in order (each an internal function over work items, called
// directly or through kiln_parallel_for), makes the final copies and returns 0.
#pragma once

#include "kiln/codegen/KernelPlan.h"

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
  /// The kernel functions in execution order ("conv1/conv2d.28+conv1/relu/max.32" when
  /// an elementwise kernel runs inside a contraction), as profiles name them.
  std::vector<std::string> kernelNames;
  /// Distinct kernel bodies: kernels that differ only in their buffers share one.
  size_t bodies = 0;
};

/// The unoptimized module of `graph` under `plan`, libjit linked in, verified.
EmittedModule emitModule(const Graph &graph, const KernelPlan &plan);

} // namespace kiln::codegen
