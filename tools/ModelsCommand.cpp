// `kiln models`: the zoo, with parameter counts.
#include "kiln/frontend/Zoo.h"
#include "tools/Command.h"

#include <fmt/core.h>

namespace kiln::cli {
namespace {

class ModelsCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    return app.add_subcommand("models", "List the model zoo");
  }

  int run() override {
    fmt::print("{:<14} {:<16} {:>12}  {}\n", "model", "input", "parameters", "description");
    for (const ModelSpec &entry : zoo()) {
      BuiltModel built = buildModel(entry.name, 1, Mode::Eval);
      int64_t count = 0;
      for (ValueId p : built.parameters)
        count += built.graph.type(p).numElements();
      fmt::print("{:<14} {:<16} {:>12}  {}\n", entry.name, shapeStr(entry.sampleShape), count,
                 entry.description);
    }
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> makeModelsCommand() { return std::make_unique<ModelsCommand>(); }

} // namespace kiln::cli
