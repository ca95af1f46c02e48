// kiln-opt: the FileCheck driver of the pass tests. Reads a textual graph, runs a pass
// pipeline and prints the result (the graph, or the kernel program and its memory plan)
// on stdout, so a test file holds its input IR, its RUN line and its CHECK lines:
//   kiln-opt FILE [--passes=a,b,c] [--print-before=P] [--print-after=P|all] [--stats]
//            [--program] [--memory] [--strategy=best-fit|colouring]
// Errors (kiln::Error) are printed on stdout as "error: ..." with exit code 1, so
// negative tests can check them with `not`.
#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Printer.h"
#include "kiln/passes/Lower.h"
#include "kiln/passes/MemoryPlan.h"
#include "kiln/passes/PassManager.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <fstream>
#include <sstream>

int main(int argc, char **argv) {
  CLI::App app{"kiln-opt: run kiln passes on a textual graph (test driver)"};
  std::string file, passes, strategy = "best-fit";
  std::vector<std::string> printBefore, printAfter;
  bool stats = false, program = false, memory = false;
  app.add_option("FILE", file)->required();
  app.add_option("--passes", passes);
  app.add_option("--print-before", printBefore)->delimiter(',');
  app.add_option("--print-after", printAfter)->delimiter(',');
  app.add_flag("--stats", stats);
  app.add_flag("--program", program);
  app.add_flag("--memory", memory);
  app.add_option("--strategy", strategy)->check(CLI::IsMember({"best-fit", "colouring"}));
  CLI11_PARSE(app, argc, argv);
  try {
    std::ifstream in(file);
    if (!in)
      kiln::fail("{}: cannot open", file);
    std::stringstream text;
    text << in.rdbuf();
    kiln::Graph graph = kiln::parseGraph(text.str(), file);
    kiln::PipelineOptions options;
    options.verifyEach = true;
    options.printBefore.insert(printBefore.begin(), printBefore.end());
    options.printAfter.insert(printAfter.begin(), printAfter.end());
    options.dump = [](std::string_view dump) { fmt::print("{}", dump); };
    kiln::PassManager pm(options);
    if (!passes.empty())
      pm.addPipeline(passes);
    pm.run(graph);
    kiln::Statistics statistics = pm.statistics();
    if (program || memory) {
      kiln::KernelProgram p = kiln::lowerGraph(graph, &statistics);
      kiln::verifyProgram(p);
      fmt::print("{}", kiln::printProgram(p));
      if (memory) {
        kiln::MemoryPlan plan =
            kiln::planMemory(p, strategy == "colouring" ? kiln::ArenaStrategy::Colouring
                                                        : kiln::ArenaStrategy::BestFit);
        fmt::print("{}", kiln::memoryReport(p, plan));
      }
    } else {
      fmt::print("{}", kiln::printGraph(graph));
    }
    if (stats)
      fmt::print("{}", statistics.format());
  } catch (const kiln::Error &e) {
    fmt::print("error: {}\n", e.what());
    return 1;
  }
  return 0;
}
