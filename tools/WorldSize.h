// `--world-size N` of the commands that run a data-parallel step (`kiln train`, `kiln
// profile`): the number of ranks the user expects mpirun to have started. The process
// group itself comes from mpirun (runtime/dist); the option only checks it, so a run meant
// to be data-parallel cannot quietly train alone.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace kiln::cli {

class WorldSizeOption {
public:
  explicit WorldSizeOption(std::string command) : command_(std::move(command)) {}

  CLI::Option *declare(CLI::App *sub);

  /// Joins mpirun's process group (a group of one without mpirun) and returns its size;
  /// kiln::Error when it is not the --world-size given.
  int join() const;

private:
  std::string command_;
  std::optional<int> expected_;
};

} // namespace kiln::cli
