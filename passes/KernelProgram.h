// The kernel program (DESIGN §6): the second level of kiln's IR. After fusion a step is
// an ordered list of kernels over typed buffers; each kernel carries its fused
// expression as a small list of graph nodes. Memory planning and codegen work here, and
// runtime/program runs it with the interpreter's kernels so every lowering is checked
// against running the graph.
#pragma once

#include "kiln/ir/Graph.h"

#include <string>
#include <vector>

namespace kiln {

using BufferId = int32_t;

/// What a buffer holds, which decides who owns its storage.
enum class BufferKind {
  Input,     ///< a step argument (caller's tensor, read-only)
  State,     ///< graph state (caller's tensor; may be updated in place)
  Output,    ///< a graph output or a state's new value: lives to the end of the step
  Temporary, ///< an intermediate: written by one kernel, read by later ones
  Constant,  ///< constant data (read-only, lives with the program)
  /// Working memory of one kernel's machine code (packed GEMM panels, per-chunk partial
  /// sums), sized for a target by codegen's addScratch; lives during that kernel only.
  Scratch,
};

std::string_view bufferKindName(BufferKind kind);

struct Buffer {
  std::string name; ///< inputs and state: their name; others: the graph value's number
  Type type;
  BufferKind kind;
  ValueId value; ///< the graph value it holds
  Attrs data;    ///< Constant: the constant node's attributes

  size_t byteSize() const {
    return static_cast<size_t>(type.numElements()) * dtypeSize(type.dtype);
  }
};

/// The loop structure a kernel's fused expression is evaluated with.
enum class KernelKind {
  Loop,      ///< elementwise and layout ops: one loop over `space`
  Reduction, ///< reductions of `space` over `axes` with elementwise producers/consumers
  Matmul,    ///< a matmul with an elementwise epilogue over its output
  Conv,      ///< conv2d or one of its backward ops with an elementwise epilogue
  Window,    ///< a pooling op (or its backward op) with an elementwise epilogue
  Collective, ///< an all_reduce over the ranks (runtime/Communicator.h), alone
};

std::string_view kernelKindName(KernelKind kind);

/// One kernel: reads `inputs`, evaluates `body` in order, writes `outputs`.
struct Kernel {
  std::string name; ///< the scope of its main node ("conv1", "loss/cross_entropy")
  KernelKind kind;
  /// Loop: the shape of its outputs; Reduction: the reduced operand's shape; Matmul,
  /// Conv, Window: the main op's result shape.
  Shape space;
  std::vector<int64_t> axes; ///< Reduction: the axes of `space` reduced per row
  std::vector<BufferId> inputs;
  /// The fused expression. Operand k of a body node refers to inputs[k] when
  /// k < inputs.size(), else to body[k - inputs.size()]. Nodes keep their graph scope.
  std::vector<Node> body;
  std::vector<ValueId> values; ///< the graph value of each body node
  struct Result {
    int32_t local; ///< an operand index as above (always a body node)
    BufferId buffer;
  };
  std::vector<Result> outputs;
  std::vector<BufferId> scratch; ///< Scratch buffers (none until a target sizes them)

  size_t numLocals() const { return inputs.size() + body.size(); }
};

struct KernelProgram {
  std::string name; ///< the graph's name
  std::vector<Buffer> buffers;
  std::vector<Kernel> kernels; ///< in execution order
  struct ProgramOutput {
    std::string name;
    BufferId buffer;
  };
  std::vector<ProgramOutput> outputs; ///< the graph's outputs, in order
  struct ProgramUpdate {
    BufferId state;
    BufferId value;
  };
  std::vector<ProgramUpdate> updates; ///< the graph's updates, in order

  /// The Input buffers, in the graph's input order (the calling convention).
  std::vector<BufferId> inputBuffers() const;
  /// The State buffers, in the graph's state order.
  std::vector<BufferId> stateBuffers() const;
  /// Computation nodes of the graph the program was lowered from (for statistics).
  int64_t graphComputations = 0;
};

/// How a kernel runs on a machine: one pass over memory per group of values it writes,
/// in body order. A reduction, a contraction or window op and a concat are a pass each;
/// consecutive other written values of one shape share one pass (one loop that computes
/// and stores them element by element, in body order). Each pass evaluates its values'
/// expressions down to the kernel's inputs and the values earlier passes wrote. Returns
/// the written locals of each pass.
std::vector<std::vector<int32_t>> writePasses(const Kernel &kernel);

/// The program as text:
///   program @cnn.train {
///     input %x : f32[8,1,28,28]
///     temp %5 : f32[8,32,28,28]
///     kernel conv1 = conv [8,32,28,28] (%x, %conv1.weight, %conv1.bias) -> (%2, %5) {
///     (with `scratch (%s0)` after the outputs when a target sized its scratch)
///       t0 = conv2d(%x, %conv1.weight) {...} : f32[8,32,28,28]
///       ...
///       %2 = t2
///     }
///     output loss = %41
///     update %conv1.weight <- %97
///   }
std::string printProgram(const KernelProgram &program);

/// Checks the program's structure and throws kiln::Error on the first violation: buffer
/// and local references in range, every body node's type agrees with its shape rule,
/// each temporary/output buffer written by exactly one kernel before any kernel reads
/// it, inputs/state/constants never written, outputs and updates refer to buffers.
void verifyProgram(const KernelProgram &program);

} // namespace kiln
