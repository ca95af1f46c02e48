// The pass manager: graph passes registered by name in Passes.def, pipelines ("default"
// or any "a,b,c"), groups run to a fixed point, the verifier after every pass on request,
// IR dumps before/after chosen passes (handed to the caller, never printed), and
// per-pass statistics in the manner of LLVM's -stats.
#pragma once

#include "kiln/ir/Graph.h"

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// Named counters, one set per pass: ("simplify", "identities removed") -> 12.
class Statistics {
public:
  void add(std::string_view pass, std::string_view counter, int64_t n);
  /// The value of a counter (0 if never added).
  int64_t get(std::string_view pass, std::string_view counter) const;
  bool empty() const { return counters_.empty(); }
  /// Adds every counter of `other`.
  void merge(const Statistics &other);
  /// LLVM's -stats layout: a banner, then "  <count> <pass> - <counter>" lines sorted by
  /// pass and counter.
  std::string format() const;

private:
  std::map<std::pair<std::string, std::string>, int64_t, std::less<>> counters_;
};

/// What a running pass sees besides the graph: where its counters go.
class PassContext {
public:
  PassContext(Statistics &stats, std::string_view pass) : stats_(stats), pass_(pass) {}
  /// Adds n to this pass's counter `what` (nothing is recorded for n == 0).
  void count(std::string_view what, int64_t n = 1) {
    if (n)
      stats_.add(pass_, what, n);
  }

private:
  Statistics &stats_;
  std::string_view pass_;
};

/// A graph pass: rewrites `graph` in place and returns whether it changed it.
using PassFn = bool (*)(Graph &graph, PassContext &context);

struct PassInfo {
  std::string_view name;        ///< the command-line name: "simplify"
  std::string_view description; ///< one line for `kiln passes`
  PassFn run;                   ///< nullptr for lowering steps (listed, not schedulable)
};

/// Every graph pass of Passes.def, in registry order.
const std::vector<PassInfo> &graphPasses();
/// The lowering steps after the graph passes (fusion, kernel program, memory planning),
/// listed by `kiln passes`; they run through `--stage program`, not `--passes`.
const std::vector<PassInfo> &loweringSteps();
/// The graph pass called `name`; kiln::Error listing the passes otherwise.
const PassInfo &findPass(std::string_view name);

/// The passes of the "default" pipeline, run together to a fixed point.
std::vector<std::string> defaultPipeline();

struct PipelineOptions {
  /// Run ir/Verifier.h's verify after every pass (on by default in debug builds). A
  /// violation throws kiln::Error naming the pass that broke the graph.
  bool verifyEach =
#ifdef NDEBUG
      false;
#else
      true;
#endif
  /// Pass names whose input (printBefore) or result (printAfter) is dumped; "all" for
  /// every pass.
  std::set<std::string, std::less<>> printBefore, printAfter;
  /// Receives each dump: "// -----// IR Dump After simplify (round 1) //----- //\n<graph>".
  std::function<void(std::string_view)> dump;
  /// Rounds a fixed-point group may take before the pipeline gives up with kiln::Error.
  int maxRounds = 32;
};

class PassManager {
public:
  explicit PassManager(PipelineOptions options = {}) : options_(std::move(options)) {}

  /// Appends one pass, run once. kiln::Error for an unknown name.
  void addPass(std::string_view name);
  /// Appends a group whose passes run in order, round after round, until a round
  /// changes nothing.
  void addFixedPoint(const std::vector<std::string> &names);
  /// Appends a pipeline spec: "default" (the default group to a fixed point), or a
  /// comma-separated list of pass names and "default", each run once in order.
  void addPipeline(std::string_view spec);

  /// Runs the pipeline; returns whether any pass changed the graph. Throws kiln::Error if
  /// verification fails after a pass, or a fixed-point group does not converge.
  bool run(Graph &graph);

  const Statistics &statistics() const { return stats_; }

private:
  struct Step {
    std::vector<const PassInfo *> passes;
    bool fixedPoint = false;
  };
  bool runPass(const PassInfo &pass, Graph &graph, int round);
  bool wants(const std::set<std::string, std::less<>> &names, std::string_view pass) const;

  PipelineOptions options_;
  std::vector<Step> steps_;
  Statistics stats_;
};

/// Runs the "default" pipeline on `graph` with `options`; returns its statistics.
Statistics optimizeGraph(Graph &graph, const PipelineOptions &options = {});

} // namespace kiln
