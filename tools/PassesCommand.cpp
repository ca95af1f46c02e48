// `kiln passes`: every graph pass and lowering step, with one line of what it does.
#include "kiln/passes/PassManager.h"
#include "tools/Command.h"

#include <fmt/format.h>

#include <algorithm>

namespace kiln::cli {
namespace {

class PassesCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    return app.add_subcommand("passes", "List the graph passes and lowering steps");
  }

  int run() override {
    size_t width = 0;
    for (const auto *list : {&graphPasses(), &loweringSteps()})
      for (const PassInfo &p : *list)
        width = std::max(width, p.name.size());
    fmt::print("graph passes (kiln ir --passes=a,b,c; 'default' runs {} to a fixed point):\n",
               fmt::join(defaultPipeline(), ","));
    for (const PassInfo &p : graphPasses())
      fmt::print("  {:<{}}  {}\n", p.name, width, p.description);
    fmt::print("lowering steps (kiln ir MODEL --stage program --print-after=STEP):\n");
    for (const PassInfo &p : loweringSteps())
      fmt::print("  {:<{}}  {}\n", p.name, width, p.description);
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> makePassesCommand() { return std::make_unique<PassesCommand>(); }

} // namespace kiln::cli
