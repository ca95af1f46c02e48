// `kiln models`: the zoo, with parameter counts; `kiln models MODEL`: one model's
// per-layer summary (a zoo model or a model file).
#include "kiln/frontend/GraphModel.h"
#include "kiln/frontend/Summary.h"
#include "kiln/frontend/Zoo.h"
#include "tools/Command.h"

#include <fmt/core.h>

namespace kiln::cli {
namespace {

class ModelsCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub =
        app.add_subcommand("models", "List the model zoo, or summarize one model layer by layer");
    sub->add_option("MODEL", model_, "zoo model or model file (.kir) to summarize");
    sub->add_option("--batch", batch_, "batch size of the summary's shapes")
        ->capture_default_str()
        ->check(AtLeastOne);
    return sub;
  }

  int run() override {
    if (!model_.empty()) {
      fmt::print("{}", modelSummary(resolveModel(model_), batch_));
      return 0;
    }
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

private:
  std::string model_;
  int64_t batch_ = 1;
};

} // namespace

std::unique_ptr<Command> makeModelsCommand() { return std::make_unique<ModelsCommand>(); }

} // namespace kiln::cli
