// KernelPlan: how a Graph becomes a sequence of kernels over buffers, before any LLVM IR
// exists. It decides which values get storage (materialized) and which are computed
// inside the kernels that read them (virtual), which kernels run in which order, and
// where every buffer lives: an argument slot, the arena, or a constant in the module.
//
// Algorithm:
//   1. Classify each node by its op's category and cost in the op table: argument
//      (input, state), view (layout ops but concat, and Free sources: iota, a splat
//      constant: an index mapping, never worth a buffer of its own), compute
//      (elementwise, random_uniform; cheap when its cost is Cheap), kernel (reductions,
//      contractions, windows, concat: always materialized) or global (constant data).
//   2. Walk the nodes backwards. A compute node stays virtual when its one user
//      evaluates operands by index (a compute node, reduction or concat): it is fused
//      into that user's loop. A view stays virtual unless a contraction or window needs
//      its buffer. A reshape aliases its operand's buffer. Outputs and updates are
//      written straight into the caller's tensors.
//   3. One kernel per materialized node in graph order (a filter gradient adds the
//      in-order sum of its per-chunk partial results; a concat one copy per part).
//   4. Buffer lifetimes are kernel intervals: from the writer to the last kernel whose
//      fused expression reads it. Arena offsets are assigned largest-first at the lowest
//      offset free for the whole interval, so buffers with disjoint lifetimes share.
#pragma once

#include "kiln/codegen/libjit/KernelConfig.h"
#include "kiln/ir/Graph.h"

#include <string>
#include <vector>

namespace kiln::codegen {

/// Where a value lives during a step.
enum class StorageKind {
  Virtual,  ///< no storage: computed inside each kernel that reads it
  Argument, ///< args[slot]: an input, a state, or the caller's output/update tensor
  Arena,    ///< arena + offset
  Global,   ///< constant data in the module
  Alias,    ///< the storage of another value (a reshape of a materialized value)
};

struct Storage {
  StorageKind kind = StorageKind::Virtual;
  int64_t slot = -1;    ///< Argument
  int64_t offset = -1;  ///< Arena, in bytes
  ValueId aliasOf = -1; ///< Alias
};

enum class KernelKind {
  Loop,       ///< evaluates a (fused) expression and stores it
  ConcatPart, ///< copies one operand of a concat into its place
  Reduce,     ///< reduce_sum / reduce_max / reduce_mean / argmax over a fused input
  Matmul,
  Conv2d,
  Conv2dInputGrad,
  Conv2dFilterGrad,
  SumChunks,  ///< the in-order sum of a filter gradient's per-chunk results
  PackFilter, ///< a shifted convolution's filter, packed once for every image
  MaxPool2d,
  MaxPool2dGrad,
  AvgPool2d,
  AvgPool2dGrad,
};

struct Kernel {
  KernelKind kind;
  ValueId value;                ///< the node it computes
  int part = 0;                 ///< ConcatPart: which operand
  std::string name;             ///< the function name: "<scope>/<op>.<value>"
  int64_t items = 1;            ///< contraction/window kernels: parallel work items
  int64_t itemRows = 0;         ///< Matmul: rows of C per item; pooling: planes per item
  int64_t itemCols = 0;         ///< Matmul: columns of C per item
  int64_t imagesPerChunk = 0;   ///< Conv2dFilterGrad
  bool shifted = false;         ///< convolutions: the stride-1 shifted-window form (ConvShifted.h)
  int64_t scratchOffset = -1;   ///< arena offset of per-worker scratch
  int64_t scratchPerWorker = 0; ///< bytes
  /// Conv2dFilterGrad / SumChunks: per-chunk results; PackFilter and the shifted
  /// convolution after it: the packed filter.
  int64_t partsOffset = -1;
};

/// A copy made after all kernels: a value that is an output or update but lives
/// elsewhere (an input, a state, a constant, or a second output of the same value).
struct FinalCopy {
  ValueId value;
  int64_t slot;
};

struct PlanOptions {
  libjit::Isa isa = libjit::Isa::Generic;
  int workers = 1;      ///< parallel loop participants (scratch is carved per worker)
  bool profile = false; ///< time every kernel (kiln_profile_mark around each)
};

struct KernelPlan {
  std::vector<Storage> storage; ///< per value
  std::vector<Kernel> kernels;  ///< in execution order
  std::vector<FinalCopy> copies;
  int64_t arenaBytes = 0;
  int64_t numInputs = 0, numStates = 0; ///< args: inputs, states, outputs, updates
  PlanOptions options;

  /// The value whose storage `id` uses (follows aliases).
  ValueId root(ValueId id) const;
  bool materialized(ValueId id) const { return storage[id].kind != StorageKind::Virtual; }
};

/// The geometry of a conv2d, conv2d_input_grad or conv2d_filter_grad node.
libjit::ConvShape convShape(const Graph &graph, ValueId id);

/// Plans `graph` (which must verify).
KernelPlan planKernels(const Graph &graph, const PlanOptions &options);

/// Readable dump of a plan (one line per kernel with its buffers), for debugging and
/// `kiln ir --stage llvm` headers.
std::string describePlan(const Graph &graph, const KernelPlan &plan);

} // namespace kiln::codegen
