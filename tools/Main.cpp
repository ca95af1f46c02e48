// The `kiln` command line: parses, dispatches to one Command, and turns every error into
// one line on stderr and a non-zero exit (DESIGN §8).
#include "kiln/ir/Error.h"
#include "kiln/runtime/ThreadPool.h"
#include "kiln/runtime/dist/ProcessGroup.h"
#include "tools/Command.h"

#include <fmt/core.h>

#include <cstdio>
#include <exception>

using namespace kiln::cli;

int main(int argc, char **argv) {
  CLI::App app{"kiln: a deep-learning graph compiler (MNIST tutorial models, IR, autodiff, "
               "interpreter)",
               "kiln"};
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", "kiln " KILN_VERSION);

  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(makeModelsCommand());
  commands.push_back(makeIrCommand());
  commands.push_back(makePassesCommand());
  commands.push_back(makeCheckCommand());
  commands.push_back(makeRunCommand());
  commands.push_back(makeGradcheckCommand());
  commands.push_back(makeTrainCommand());
  commands.push_back(makeEvalCommand());
  commands.push_back(makeMnistCommand());
  commands.push_back(makePredictCommand());
  commands.push_back(makeProfileCommand());
  std::vector<CLI::App *> subs;
  for (auto &c : commands)
    subs.push_back(c->declare(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    fmt::print(stderr, "kiln: error: {} (see kiln --help)\n", e.what());
    return 2;
  } catch (const kiln::Error &e) { // an option's action failed (starting --threads' workers)
    fmt::print(stderr, "kiln: error: {}\n", e.what());
    return 1;
  }

  try {
    // Before any work: a bad $KILN_THREADS would otherwise surface inside the first
    // compiled step.
    kiln::ThreadPool::environmentThreads();
    for (size_t i = 0; i < commands.size(); ++i)
      if (subs[i]->parsed())
        return commands[i]->run();
  } catch (const kiln::GroupError &e) { // every rank has it: one line for the job
    if (kiln::leadRank())
      fmt::print(stderr, "kiln: error: {}\n", e.what());
    return 1;
  } catch (const kiln::Error &e) {
    if (kiln::communicator().size() == 1) {
      fmt::print(stderr, "kiln: error: {}\n", e.what());
      return 1;
    }
    fmt::print(stderr, "kiln: error: rank {}: {}\n", kiln::communicator().rank(), e.what());
    kiln::abortProcessGroup(1); // the other ranks may wait for this one in a collective
  } catch (const std::exception &e) {
    fmt::print(stderr, "kiln: internal error: {}\n", e.what());
    return 3;
  }
  return 1;
}
