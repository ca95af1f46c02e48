// `kiln check FILE`: parse, verify and re-print a textual graph.
#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Printer.h"
#include "kiln/ir/Verifier.h"
#include "tools/Command.h"
#include "tools/Files.h"

#include <fmt/core.h>

namespace kiln::cli {
namespace {

class CheckCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand(
        "check", "Parse and verify a textual graph, then print it back (byte-identical for a "
                 "graph kiln printed)");
    sub->add_option("FILE", file_, "graph text file ('-' for stdin)")->required();
    return sub;
  }

  int run() override {
    const std::string text = readTextFile(file_);
    Graph graph;
    try {
      graph = parseGraph(text, file_);
    } catch (const Error &e) {
      // The parser's message starts with FILE:LINE:COL, the form editors and CI logs
      // link to the source, so it is printed bare, without "kiln: error:".
      fmt::print(stderr, "{}\n", e.what());
      return 1;
    }
    verify(graph);
    fmt::print("{}", printGraph(graph));
    return 0;
  }

private:
  std::string file_;
};

} // namespace

std::unique_ptr<Command> makeCheckCommand() { return std::make_unique<CheckCommand>(); }

} // namespace kiln::cli
