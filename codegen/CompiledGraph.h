// CompiledGraph: a Graph compiled by LLVM into one native step function (DESIGN §2,
// §7), and the textual views of that compilation for `kiln ir --stage llvm|asm`. The
// public face of codegen/: no LLVM type appears here.
#pragma once

#include "kiln/codegen/Profile.h"
#include "kiln/codegen/libjit/KernelConfig.h"
#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kiln::codegen {

struct JitOptions {
  /// Participants of parallel loops (per-worker scratch is planned for them); 0 means
  /// the size of the global thread pool.
  int threads = 0;
  /// Look for the compiled object in the disk cache and store it there after compiling.
  bool useCache = true;
  /// The cache directory; empty means ObjectCache::defaultDirectory().
  std::filesystem::path cacheDir;
  /// Keep the LLVM IR before and after O3 (see CompiledGraph::irBefore()).
  bool dumpIr = false;
  /// Run the graph passes (passes/: simplify, constant folding, CSE, DCE to a fixed
  /// point) before fusion (Pipeline.h).
  bool optimizeGraph = true;
  /// The kernel variant (vector width) to generate; unset means the widest the host CPU
  /// supports. Tests force the others.
  std::optional<libjit::Isa> isa;
  /// Time every kernel (also switched on by the environment variable KILN_JIT_PROFILE=1);
  /// see CompiledGraph::profile().
  bool profile = false;
  /// The size at which all_reduce buckets close (runtime/BucketedAllReduce.h); unset
  /// means $KILN_BUCKET_BYTES, else 1 MiB (PyTorch DDP's first bucket). 0: one all_reduce
  /// per bucket.
  std::optional<int64_t> bucketBytes;
};

/// The wall time of one pipeline step (Pipeline.h) of a compile.
struct PhaseTime {
  std::string step;
  double milliseconds = 0;
};

struct CompileStats {
  double milliseconds = 0; ///< planning, IR, O3 and machine code (or cache load)
  /// Where `milliseconds` went: the lowering steps, emit-llvm, cache-key, then
  /// cache-load or optimize (O3 and machine code).
  std::vector<PhaseTime> phases;
  /// "graph-passes 12, fuse 3, ..., optimize 900 ms": the phases, rounded.
  std::string phaseSummary() const;
  bool cacheHit = false;
  std::string cacheKey;
  int64_t arenaBytes = 0;
  size_t kernels = 0; ///< the kernel program's kernels, one compiled function each
  size_t stages = 0;  ///< the loop nests and libjit calls those kernels run
  size_t kernelBodies = 0; ///< distinct compiled kernel bodies (identical kernels share one)
  std::string host; ///< "znver3 (avx2)"
  int workers = 1;
};

class CompiledGraph {
public:
  /// Compiles `graph` (which must verify). kiln::Error if LLVM fails; that would be a
  /// bug in kiln, not in the graph.
  static std::unique_ptr<CompiledGraph> compile(Graph graph, const JitOptions &options = {});
  ~CompiledGraph();

  const Graph &graph() const { return graph_; }
  const CompileStats &stats() const { return stats_; }
  /// The IR before and after O3 (empty unless JitOptions::dumpIr and compiled, not loaded
  /// from the cache).
  const std::string &irBefore() const { return irBefore_; }
  const std::string &irAfter() const { return irAfter_; }

  /// Per-kernel times summed over all runs so far; null unless profiling.
  const KernelProfile *profile() const { return profile_.get(); }

  struct Result {
    std::vector<Tensor> outputs; ///< in graph.outputs() order
    std::vector<Tensor> updates; ///< new state values, in graph.updates() order
  };
  /// One step, like Interpreter::run: `inputs` per graph.inputs(), `state` per
  /// graph.states(); kiln::Error naming a missing or mistyped tensor. Runs of one
  /// CompiledGraph are serialized (they share its arena).
  Result run(std::span<const Tensor> inputs, std::span<const Tensor> state);

private:
  CompiledGraph() = default;

  Graph graph_;
  CompileStats stats_;
  std::string irBefore_, irAfter_;
  std::unique_ptr<KernelProfile> profile_;
  struct Code;
  std::unique_ptr<Code> code_;
  std::mutex mutex_;
};

/// The LLVM IR of `graph`'s step, after O3 when `optimized`, headed by its kernel plan.
std::string llvmIr(const Graph &graph, bool optimized, const JitOptions &options = {});
/// The host assembly of `graph`'s step.
std::string assembly(const Graph &graph, const JitOptions &options = {});

} // namespace kiln::codegen
