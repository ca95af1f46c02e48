// `kiln ir MODEL --stage ...`: print a zoo model's graph at any stage, as text or dot, or
// the JIT's optimized LLVM IR or host assembly of one of its step graphs.
#include "codegen/CompiledGraph.h"
#include "ir/Error.h"
#include "ir/GraphView.h"
#include "ir/Printer.h"
#include "runtime/train/StepGraphs.h"
#include "tools/Command.h"

#include <fmt/core.h>

#include <iostream>

namespace kiln::cli {
namespace {

class IrCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand("ir", "Print the graph of a zoo model at one stage");
    sub->add_option("MODEL", model_, "zoo model (see `kiln models`)")->required();
    sub->add_option("--stage", stage_,
                    "forward | eval | backward (forward + loss + gradients) | train (the whole "
                    "training step with the optimizer update) | llvm (the JIT's optimized LLVM "
                    "IR of --step) | asm (its host assembly)")
        ->capture_default_str();
    sub->add_option("--batch", batch_, "batch size (part of the static shapes)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--format", format_, "text | dot")
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "dot"}));
    sub->add_option("--optimizer", optimizer_, "update rule shown by --stage train")
        ->capture_default_str();
    sub->add_option("--freeze", freeze_, "parameter name prefixes that get no gradient");
    sub->add_option("--step", step_, "the graph --stage llvm|asm compiles")->capture_default_str();
    return sub;
  }

  int run() override {
    StepOptions options;
    options.optimizer = defaultConfig(parseOptimizerKind(optimizer_));
    options.freeze = freeze_;
    if (stage_ == "llvm" || stage_ == "asm") {
      Graph graph = buildStageGraph(model_, parseStage(step_), batch_, options);
      fmt::print("{}", stage_ == "llvm" ? codegen::llvmIr(graph, /*optimized=*/true)
                                        : codegen::assembly(graph));
      return 0;
    }
    Graph graph = buildStageGraph(model_, parseStage(stage_), batch_, options);
    if (format_ == "dot")
      writeDot(std::cout, graph);
    else
      fmt::print("{}", printGraph(graph));
    return 0;
  }

private:
  std::string model_, stage_ = "forward", format_ = "text", optimizer_ = "adam", step_ = "train";
  int64_t batch_ = 64;
  std::vector<std::string> freeze_;
};

} // namespace

std::unique_ptr<Command> makeIrCommand() { return std::make_unique<IrCommand>(); }

} // namespace kiln::cli
