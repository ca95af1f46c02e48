// lowerStep: the steps of the lowering pipeline, each named and dumpable (see the header).
#include "kiln/codegen/Pipeline.h"

#include "kiln/codegen/JitEngine.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Printer.h"
#include "kiln/passes/Lower.h"
#include "kiln/runtime/ThreadPool.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace kiln::codegen {

const std::vector<PassInfo> &pipelineSteps() { return loweringSteps(); }

namespace {

/// $KILN_BUCKET_BYTES, when set: a whole number of bytes >= 0.
std::optional<int64_t> bucketBytesFromEnvironment() {
  const char *env = std::getenv("KILN_BUCKET_BYTES");
  if (!env || !*env)
    return std::nullopt;
  int64_t bytes = -1;
  auto [end, ec] = std::from_chars(env, env + std::strlen(env), bytes);
  if (ec != std::errc() || *end || bytes < 0)
    fail("KILN_BUCKET_BYTES={}: not a byte count (a whole number >= 0)", env);
  return bytes;
}

} // namespace

PlanOptions planOptions(const JitOptions &options) {
  const char *env = std::getenv("KILN_JIT_PROFILE");
  PlanOptions p;
  p.isa = options.isa.value_or(hostTarget().isa);
  p.workers = options.threads > 0 ? options.threads : ThreadPool::global().threads();
  p.profile = options.profile || (env && *env && std::string_view(env) != "0");
  if (std::optional<int64_t> bytes = options.bucketBytes ? options.bucketBytes
                                                         : bucketBytesFromEnvironment())
    p.bucketBytes = *bytes;
  return p;
}

namespace {

/// Dumps the result of step `name` when asked to, in the pass manager's dump format.
class Dumper {
public:
  explicit Dumper(const LowerOptions &options) : options_(options) {
    for (const std::string &name : options.printAfter) {
      bool known = name == "all";
      for (const PassInfo &step : pipelineSteps())
        known |= step.name == name;
      if (!known)
        findPass(name); // a graph pass, or kiln::Error listing the passes
    }
  }

  bool wants(std::string_view step) const {
    return options_.printAfter.count("all") || options_.printAfter.count(step);
  }

  void after(std::string_view step, const std::function<std::string()> &text) const {
    if (wants(step))
      options_.dump(fmt::format("// -----// IR Dump After {} //----- //\n{}", step, text()));
  }

private:
  const LowerOptions &options_;
};

/// graph-passes: the default pipeline; the step's interface must survive it.
void runGraphPasses(Graph &graph, const LowerOptions &options) {
  PipelineOptions passOptions;
  for (const std::string &name : options.printAfter)
    if (name == "all" || name == "graph-passes" ||
        std::none_of(pipelineSteps().begin(), pipelineSteps().end(),
                     [&](const PassInfo &s) { return s.name == name; }))
      passOptions.printAfter.insert(name == "graph-passes" ? "all" : name);
  passOptions.dump = options.dump;
  PassManager passes(passOptions);
  passes.addPipeline("default");
  Graph before = graph;
  passes.run(graph);
  if (options.stats)
    options.stats->merge(passes.statistics());
  auto sameInterface = [&](const std::vector<ValueId> &a, const std::vector<ValueId> &b) {
    if (a.size() != b.size())
      return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (before.node(a[i]).name != graph.node(b[i]).name || before.type(a[i]) != graph.type(b[i]))
        return false;
    return true;
  };
  if (!sameInterface(before.inputs(), graph.inputs()) ||
      !sameInterface(before.states(), graph.states()) ||
      before.outputs().size() != graph.outputs().size() ||
      before.updates().size() != graph.updates().size())
    fail("graph-passes changed the interface of graph @{} (internal error)", graph.name());
}

} // namespace

std::unique_ptr<LoweredStep> lowerStep(const Graph &graph, const LowerOptions &options) {
  Dumper dumper(options);
  auto step = std::make_unique<LoweredStep>();
  auto timed = [&](std::string step_name, auto &&work) {
    auto start = std::chrono::steady_clock::now();
    work();
    step->phases.push_back(
        {std::move(step_name),
         std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
             .count()});
  };
  step->graph = graph;
  if (options.optimizeGraph)
    timed("graph-passes", [&] { runGraphPasses(step->graph, options); });

  Statistics local;
  PassContext fusionCounters(options.stats ? *options.stats : local, "fuse");
  FusionPlan fusion;
  timed("fuse", [&] { fusion = planFusion(step->graph, &fusionCounters); });
  dumper.after("fuse", [&] {
    std::string text;
    for (size_t k = 0; k < fusion.groups.size(); ++k) {
      text += fmt::format("group {} ({}):", k, kernelKindName(fusion.groups[k].kind));
      for (ValueId v : fusion.groups[k].members)
        text += fmt::format(" %{}", v);
      text += "\n";
    }
    return text;
  });
  timed("lower", [&] {
    step->program = lowerToProgram(step->graph, fusion);
    verifyProgram(step->program);
  });
  dumper.after("lower", [&] { return printProgram(step->program); });

  timed("add-scratch", [&] {
    addScratch(step->graph, step->program, options.target);
    verifyProgram(step->program);
  });
  dumper.after("add-scratch", [&] { return printProgram(step->program); });

  timed("plan-memory", [&] {
    step->memory = planMemory(step->program, options.arena, ResultPlacement::Caller);
  });
  dumper.after("plan-memory", [&] { return memoryReport(step->program, step->memory); });

  timed("plan-stages", [&] {
    step->stages = planStages(step->graph, step->program, step->memory, options.target);
  });
  dumper.after("plan-stages", [&] { return describeStages(step->graph, step->stages); });
  return step;
}

} // namespace kiln::codegen
