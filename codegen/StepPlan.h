// StepPlan: how the kernel program (passes/KernelProgram.h) runs as machine code. The
// program decides the kernels, what each computes and which values get buffers; the
// memory plan decides where every buffer lives. This file decides only what is a matter
// of the target: how a kernel runs as *stages* (each one loop nest or one libjit call
// over work items, run one after the other), how many work items each has, and how much
// scratch its libjit calls need.
//
// A program kernel's stages, in body order: one per pass of writePasses (KernelProgram.h)
// over the values the kernel writes (its outputs, and what it reads back itself:
// Lower.cpp's storedInKernel):
//   - a contraction or window op: a libjit call (a stride-1 convolution packs its filter
//     first; a filter gradient sums its per-chunk results after);
//   - a reduction: a loop nest that accumulates;
//   - a concat: one copy per part;
//   - other values of one shape: one loop nest that evaluates and stores each of them.
// The other members of the kernel have no stage: they are evaluated inside the stages
// that read them. A stage reads a value from memory once an earlier stage (or an
// earlier kernel) has written it, and evaluates it otherwise.
#pragma once

#include "kiln/codegen/libjit/KernelConfig.h"
#include "kiln/ir/Graph.h"
#include "kiln/passes/KernelProgram.h"
#include "kiln/passes/MemoryPlan.h"

#include <string>
#include <vector>

namespace kiln::codegen {

/// Where a buffer lives during a step.
enum class StorageKind {
  Virtual,  ///< no storage
  Argument, ///< args[slot]: an input, a state, or the caller's output/update tensor
  Arena,    ///< arena + offset
  Global,   ///< constant data in the module
};

struct Storage {
  StorageKind kind = StorageKind::Virtual;
  int64_t slot = -1;   ///< Argument
  int64_t offset = -1; ///< Arena, in bytes
  ValueId global = -1; ///< Global: the constant node

  bool operator==(const Storage &) const = default;
};

enum class StageKind {
  Loop,       ///< evaluates a value's expression and stores it
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
  AllReduce, ///< adds its operand to a bucket of all-reduces (runtime/BucketedAllReduce.h)
};

struct Stage {
  StageKind kind;
  ValueId value;                ///< the node it computes
  std::vector<ValueId> also;    ///< Loop: more values of the same shape it stores too
  int kernel = 0;               ///< the program kernel it belongs to
  int part = 0;                 ///< ConcatPart: which operand
  std::string name;             ///< the function name: "<scope>/<op>.<value>"
  int64_t items = 1;            ///< contraction/window stages: parallel work items
  int64_t itemRows = 0;         ///< Matmul: rows of C per item; pooling: planes per item
  int64_t itemCols = 0;         ///< Matmul: columns of C per item
  int64_t imagesPerChunk = 0;   ///< Conv2dFilterGrad
  bool shifted = false;         ///< convolutions: the stride-1 shifted-window form (ConvShifted.h)
  int64_t scratchOffset = -1;   ///< arena offset of per-worker scratch
  int64_t scratchPerWorker = 0; ///< bytes
  /// Conv2dFilterGrad / SumChunks: per-chunk results; PackFilter and the shifted
  /// convolution after it: the packed filter.
  int64_t partsOffset = -1;
  int64_t bucket = -1;       ///< AllReduce: its bucket (codegen/Buckets.h)
  bool closesBucket = false; ///< AllReduce: the bucket's last member; reducing starts
};

/// A copy made after all kernels: a result that lives elsewhere (an input, a state, a
/// constant, or a value that is also an earlier result).
struct FinalCopy {
  ValueId value;
  Storage from;
  int64_t slot;
};

struct PlanOptions {
  libjit::Isa isa = libjit::Isa::Generic;
  int workers = 1;      ///< parallel loop participants (scratch is carved per worker)
  bool profile = false; ///< time every kernel (kiln_profile_mark around each)
  /// all_reduce buckets close once they hold this many bytes (0: one per all_reduce).
  int64_t bucketBytes = int64_t(1) << 20;
};

struct StepPlan {
  std::vector<Stage> stages; ///< in execution order, grouped by program kernel
  std::vector<std::string> kernelNames; ///< per program kernel
  std::vector<FinalCopy> copies;
  /// Per program kernel: the all_reduce buckets to wait for before it runs; then the
  /// buckets to wait for before the final copies.
  std::vector<std::vector<int64_t>> waitsBefore;
  std::vector<int64_t> waitsAtEnd;
  int64_t arenaBytes = 0;
  PlanOptions options;

  /// The storage stage `stage` uses for `value` (a kernel's own copy of a value comes
  /// before the value's buffer); Virtual when it has none.
  Storage storage(ValueId value, size_t stage) const;
  /// Whether `value` is in memory when stage `stage` runs: an earlier stage (or an
  /// argument, a constant) wrote the storage that stage reads. Otherwise the stage
  /// evaluates it.
  bool available(ValueId value, size_t stage) const;
  /// The value whose buffer holds `value`'s elements in the same order: itself, or
  /// (through reshapes that have no buffer in the stage's kernel) a reshape's operand.
  ValueId root(ValueId value, size_t stage) const;

  /// A buffer a kernel reads or writes: where it lives and which stage writes it (-1:
  /// written before the kernel runs).
  struct Access {
    ValueId value;
    Storage storage;
    int stage = -1;
  };
  /// Per program kernel: the buffers it reads and writes, sorted by value. A stage can
  /// read only these: another kernel's local buffers may hold other values by then.
  std::vector<std::vector<Access>> access;
  const Graph *graph = nullptr;

private:
  const Access *find(ValueId value, size_t stage) const;
};

/// The geometry of a conv2d, conv2d_input_grad or conv2d_filter_grad node.
libjit::ConvShape convShape(const Graph &graph, ValueId id);

/// Adds the Scratch buffers the program's kernels need on the target of `options` (GEMM
/// packing per worker, a filter gradient's per-chunk results, a packed filter).
/// `graph` is the graph the program was lowered from.
void addScratch(const Graph &graph, KernelProgram &program, const PlanOptions &options);

/// The stages of `program` (lowered from `graph`, with addScratch's buffers) under
/// `memory` (planned with ResultPlacement::Caller).
StepPlan planStages(const Graph &graph, const KernelProgram &program, const MemoryPlan &memory,
                    const PlanOptions &options);

/// Readable list of the stages with their buffers, for `kiln ir --stage llvm` headers.
std::string describeStages(const Graph &graph, const StepPlan &plan);

} // namespace kiln::codegen
