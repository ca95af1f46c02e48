// `kiln ir MODEL --stage ...`: print a zoo model's graph at any stage (after a chosen pass
// pipeline), as text or dot; its lowered kernel program with statistics and the memory
// plan; or the JIT's optimized LLVM IR or host assembly of one of its step graphs.
//
// Streams, as with LLVM's opt: the graph, the program and the --memory report go to
// stdout; --print-before/--print-after dumps and --stats go to stderr, so stdout stays
// the one artefact asked for (`kiln ir mlp --passes=default > mlp.kir` parses back).
#include "kiln/codegen/Pipeline.h"
#include "kiln/frontend/GraphModel.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/GraphView.h"
#include "kiln/ir/Printer.h"
#include "kiln/passes/Lower.h"
#include "kiln/passes/MemoryPlan.h"
#include "kiln/passes/PassManager.h"
#include "kiln/runtime/train/Compile.h"
#include "tools/Command.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace kiln::cli {
namespace {

int64_t computations(const Graph &graph) {
  int64_t n = 0;
  for (const Node &node : graph.nodes())
    n += node.op != OpKind::Input && node.op != OpKind::State;
  return n;
}

std::string percent(int64_t part, int64_t whole) {
  return whole ? fmt::format("{:.1f}%",
                             100.0 * static_cast<double>(part) / static_cast<double>(whole))
               : "-";
}

class IrCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand("ir", "Print the graph of a zoo model at one stage");
    sub->add_option("MODEL", model_, "zoo model (see `kiln models`) or model file (.kir)")
        ->required();
    sub->add_option("--stage", stage_,
                    "forward | predict (eval mode) | eval (predict + loss and metrics) | "
                    "backward (forward + loss + gradients) | train (the whole "
                    "training step with the optimizer update) | program (the kernel program "
                    "--step lowers to) | llvm (the JIT's optimized LLVM IR of --step) | asm "
                    "(its host assembly)")
        ->capture_default_str();
    sub->add_option("--batch", batch_, "batch size (part of the static shapes)")
        ->capture_default_str()
        ->check(AtLeastOne);
    sub->add_option("--format", format_, "text | dot (graph stages)")
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "dot"}));
    sub->add_option("--optimizer", optimizer_, "update rule of the train step")
        ->capture_default_str();
    sub->add_option("--freeze", freeze_, "parameter name prefixes that get no gradient");
    sub->add_option("--world-size", dp_.worldSize,
                    "data-parallel ranks the step is built for (`mpirun -np N kiln train`): "
                    "above 1, gradients are averaged by all_reduce before the update")
        ->capture_default_str()
        ->check(AtLeastOne);
    sub->add_option("--rank", dp_.rank, "the rank the step is built for (its dropout draws)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--step", step_, "the step graph --stage program|llvm|asm lowers")
        ->capture_default_str();
    sub->add_option("--passes", passes_,
                    "pass pipeline run before printing (a,b,c or 'default'; see `kiln "
                    "passes`); graph stages run none unless given, --stage program runs "
                    "'default' unless given");
    sub->add_option("--print-before", printBefore_,
                    "dump the graph to stderr before each run of these passes ('all' for "
                    "every pass)")
        ->delimiter(',');
    sub->add_option("--print-after", printAfter_,
                    "dump the graph to stderr after each run of these passes, or (with "
                    "--stage program) the result of these lowering steps: graph-passes, "
                    "fuse, lower, add-scratch, plan-memory, plan-stages, emit-llvm, "
                    "optimize ('all' for every one)")
        ->delimiter(',');
    sub->add_flag("--stats", stats_,
                  "per-pass statistics on stderr (with --stage program: fusion too, and "
                  "kernels against the nodes before fusion)");
    sub->add_flag("--memory", memory_,
                  "with --stage program: the JIT's memory plan (intermediate bytes, peak "
                  "live bytes, arena of both planners, kernel scratch, activations kept "
                  "for the backward pass)");
    sub->add_option("--arena", arena_,
                    "with --memory: the planner whose plan is chosen (the report shows both)")
        ->capture_default_str()
        ->check(CLI::IsMember({"best-fit", "colouring"}));
    return sub;
  }

  int run() override {
    StepOptions options;
    options.optimizer = defaultConfig(parseOptimizerKind(optimizer_));
    options.freeze = freeze_;
    if (dp_.rank >= dp_.worldSize)
      fail("--rank {} is not a rank of --world-size {} (0 to {})", dp_.rank, dp_.worldSize,
           dp_.worldSize - 1);
    options.dp = dp_;
    checkStageName(stage_);
    bool program = stage_ == "program";
    bool jit = stage_ == "llvm" || stage_ == "asm";
    checkFlags(program, jit);
    ModelSpec model = resolveModel(model_);
    bool plain = passes_.empty() && printBefore_.empty() && printAfter_.empty() && !stats_ &&
                 !memory_ && format_ == "text";
    if (plain) { // exactly what TrainStep::ir and stageText give a program
      fmt::print("{}", stageText(model, stage_, batch_, options, parseStage(step_)));
      return 0;
    }
    Graph graph = buildStageGraph(model, parseStage(program ? step_ : stage_), batch_, options);
    int64_t before = computations(graph);
    // --stage program lowers exactly as the JIT does; only --passes or --print-before
    // replace the graph passes with the pass manager's run.
    bool ownPasses = !program || !passes_.empty() || !printBefore_.empty();
    Statistics statistics =
        ownPasses ? runPipeline(graph, program ? "default" : "") : Statistics{};
    if (!program) {
      if (format_ == "dot")
        writeDot(std::cout, graph);
      else
        fmt::print("{}", printGraph(graph));
      if (stats_)
        fmt::print(stderr, "{}", statistics.format());
      return 0;
    }
    codegen::LowerOptions lowering;
    lowering.target = codegen::planOptions({});
    lowering.optimizeGraph = !ownPasses;
    lowering.arena = arena_ == "colouring" ? ArenaStrategy::Colouring : ArenaStrategy::BestFit;
    for (const std::string &name : printAfter_)
      if (!ownPasses || name != "all")
        lowering.printAfter.insert(name);
    if (ownPasses && std::find(printAfter_.begin(), printAfter_.end(), "all") != printAfter_.end())
      for (const PassInfo &step : codegen::pipelineSteps())
        lowering.printAfter.insert(std::string(step.name));
    lowering.dump = [](std::string_view dump) { fmt::print(stderr, "{}", dump); };
    lowering.stats = &statistics;
    std::unique_ptr<codegen::LoweredStep> lowered = codegen::lowerStep(graph, lowering);
    const KernelProgram &kernels = lowered->program;
    fmt::print("{}", printProgram(kernels));
    if (memory_)
      fmt::print("{}", memoryReport(kernels, lowered->memory));
    codegen::JitOptions asLowered; // the graph passes already ran
    asLowered.optimizeGraph = false;
    for (bool optimized : {false, true})
      if (lowering.printAfter.count(optimized ? "optimize" : "emit-llvm") ||
          lowering.printAfter.count("all"))
        fmt::print(stderr, "// -----// IR Dump After {} //----- //\n{}",
                   optimized ? "optimize" : "emit-llvm",
                   codegen::llvmIr(lowered->graph, optimized, asLowered));
    if (stats_) {
      auto count = static_cast<int64_t>(kernels.kernels.size());
      fmt::print(stderr, "{}", statistics.format());
      fmt::print(stderr,
                 "\n{} kernels for {} nodes before fusion ({}); the step graph had {} nodes "
                 "before the pass pipeline\n",
                 count, kernels.graphComputations, percent(count, kernels.graphComputations),
                 before);
    }
    return 0;
  }

private:
  /// Rejects flags that do not apply to the stage, and unknown pass names in
  /// --print-before/--print-after, before any graph is built.
  void checkFlags(bool program, bool jit) const {
    if (jit &&
        (!passes_.empty() || !printBefore_.empty() || !printAfter_.empty() || stats_ || memory_))
      fail("--passes, --print-before, --print-after, --stats and --memory apply to graph "
           "stages and --stage program (--stage {} compiles after the default pipeline)",
           stage_);
    if (memory_ && !program)
      fail("--memory needs --stage program");
    if (program && format_ != "text")
      fail("--format {} applies to graph stages, not --stage program", format_);
    for (const auto *names : {&printBefore_, &printAfter_})
      for (const std::string &name : *names) {
        bool step = std::any_of(codegen::pipelineSteps().begin(), codegen::pipelineSteps().end(),
                                [&](const PassInfo &s) { return s.name == name; });
        if (step && names == &printAfter_ && !program)
          fail("--print-after {}: a lowering step, run by --stage program", name);
        if (name != "all" && !(step && names == &printAfter_))
          findPass(name);
      }
  }

  /// Runs --passes (or `fallback` when it was not given; nothing when both are empty)
  /// with the requested dumps on stderr; returns the pipeline's statistics.
  Statistics runPipeline(Graph &graph, std::string_view fallback) const {
    std::string spec = passes_.empty() ? std::string(fallback) : passes_;
    PipelineOptions options;
    options.printBefore.insert(printBefore_.begin(), printBefore_.end());
    options.printAfter.insert(printAfter_.begin(), printAfter_.end());
    options.dump = [](std::string_view dump) { fmt::print(stderr, "{}", dump); };
    PassManager pm(options);
    if (!spec.empty())
      pm.addPipeline(spec);
    pm.run(graph);
    return pm.statistics();
  }

  std::string model_, stage_ = "forward", format_ = "text", optimizer_ = "adam", step_ = "train";
  DataParallel dp_;
  std::string passes_, arena_ = "best-fit";
  int64_t batch_ = 64;
  std::vector<std::string> freeze_, printBefore_, printAfter_;
  bool stats_ = false, memory_ = false;
};

} // namespace

std::unique_ptr<Command> makeIrCommand() { return std::make_unique<IrCommand>(); }

} // namespace kiln::cli
