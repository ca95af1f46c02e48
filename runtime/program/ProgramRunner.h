// Runs a kernel program with the interpreter's kernels: each kernel evaluates its fused
// body node by node with evalNode, reading and writing buffers. It checks lowering (the
// program must compute what the graph computes) and, given a memory plan, the plan too:
// temporaries and outputs then live at their offsets in one arena and in-place updates
// overwrite the state's storage, so an overlap or an unsafe in-place update gives wrong
// numbers.
#pragma once

#include "kiln/passes/KernelProgram.h"
#include "kiln/passes/MemoryPlan.h"
#include "kiln/runtime/Tensor.h"

#include <span>
#include <vector>

namespace kiln {

class ProgramRunner {
public:
  /// Keeps references to `program` and `plan` (when given), which must outlive the
  /// runner. Without a plan each buffer is a tensor of its own.
  explicit ProgramRunner(const KernelProgram &program, const MemoryPlan *plan = nullptr);

  struct Result {
    std::vector<Tensor> outputs; ///< in program.outputs order
    std::vector<Tensor> updates; ///< new state values, in program.updates order
  };

  /// Runs one step: `inputs` in the order of program.inputBuffers(), `state` in the order
  /// of program.stateBuffers() (the graph's orders). The caller's tensors are not
  /// modified. Throws kiln::Error naming a buffer whose tensor has the wrong type.
  Result run(std::span<const Tensor> inputs, std::span<const Tensor> state) const;

private:
  const KernelProgram &program_;
  const MemoryPlan *plan_;
  std::vector<Tensor> constants_; ///< per buffer; defined for Constant buffers
};

} // namespace kiln
