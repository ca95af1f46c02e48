#include "tools/WorldSize.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/dist/ProcessGroup.h"
#include "tools/Command.h"

namespace kiln::cli {

CLI::Option *WorldSizeOption::declare(CLI::App *sub) {
  return sub
      ->add_option("--world-size", expected_,
                   "the data-parallel ranks expected (checked against mpirun -np N; the "
                   "global batch is N x --batch)")
      ->check(AtLeastOne);
}

int WorldSizeOption::join() const {
  int ranks = joinProcessGroup();
  if (expected_ && ranks == 1 && *expected_ > 1)
    fail("--world-size {0}: this kiln was not started by mpirun; run `mpirun -np {0} kiln {1} "
         "...`",
         *expected_, command_);
  if (expected_ && *expected_ != ranks) // every rank finds it: one line for the job
    throw GroupError(fmt::format("--world-size {}: mpirun started {} ranks", *expected_, ranks));
  return ranks;
}

} // namespace kiln::cli
