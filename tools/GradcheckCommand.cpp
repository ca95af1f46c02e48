// `kiln gradcheck [OP...]`: finite-difference check of every differentiable op.
#include "kiln/ir/Error.h"
#include "kiln/runtime/gradcheck/GradCheck.h"
#include "tools/Command.h"

#include <fmt/core.h>

namespace kiln::cli {
namespace {

class GradcheckCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand(
        "gradcheck", "Check every op's gradient rule against central differences (f64)");
    sub->add_option("OP", ops_, "ops to check (default: every differentiable op)");
    sub->add_option("--seed", seed_, "seed for shapes and values")
        ->capture_default_str()
        ->check(SeedValue);
    return sub;
  }

  int run() override {
    std::vector<OpKind> kinds;
    for (const std::string &name : ops_) {
      auto kind = opFromMnemonic(name);
      if (!kind)
        fail("unknown op '{}'", name);
      if (!opInfo(*kind).differentiable)
        fail("op '{}' has no gradient", name);
      kinds.push_back(*kind);
    }
    std::vector<GradCheckRow> rows = gradCheckOps(kinds, seed_);
    fmt::print("{:<20} {:<44} {:>12} {:>12}  {}\n", "op", "shapes", "max abs err", "max rel err",
               "result");
    int failed = 0;
    for (const GradCheckRow &row : rows) {
      fmt::print("{:<20} {:<44} {:>12.3e} {:>12.3e}  {}\n", row.op, row.shapes, row.maxAbsError,
                 row.maxRelError, row.passed ? "ok" : "FAIL");
      failed += !row.passed;
    }
    fmt::print("{} passed, {} failed\n", rows.size() - failed, failed);
    return failed ? 1 : 0;
  }

private:
  std::vector<std::string> ops_;
  uint64_t seed_ = 1;
};

} // namespace

std::unique_ptr<Command> makeGradcheckCommand() { return std::make_unique<GradcheckCommand>(); }

} // namespace kiln::cli
