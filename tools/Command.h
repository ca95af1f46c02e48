// One `kiln` subcommand: declares its options on a CLI11 subcommand, then runs.
#pragma once

#include "kiln/runtime/ThreadPool.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiln::cli {

/// Accepts a whole number >= 1 ("--batch: 0 is not a whole number >= 1" otherwise);
/// CLI11's PositiveNumber would print its range up to DBL_MAX.
inline const CLI::Validator AtLeastOne(
    [](std::string &text) -> std::string {
      size_t used = 0;
      long long value = 0;
      try {
        value = std::stoll(text, &used);
      } catch (const std::exception &) {
      }
      return used == text.size() && value >= 1 ? "" : text + " is not a whole number >= 1";
    },
    "INT>=1");

/// Accepts a seed: a whole number from 0 to 2^64 - 1 ("--seed: -1 is not a seed (a whole
/// number from 0 to 18446744073709551615)" otherwise); CLI11 alone wraps -1 and
/// saturates larger numbers to 2^64 - 1.
inline const CLI::Validator SeedValue(
    [](std::string &text) -> std::string {
      uint64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      return ec == std::errc() && end == text.data() + text.size() && !text.empty()
                 ? ""
                 : text + " is not a seed (a whole number from 0 to 18446744073709551615)";
    },
    "UINT64");

/// Accepts a thread count from 1 to ThreadPool::maxThreads() (`--threads`).
inline const CLI::Validator
    ThreadCount([](std::string &text) { return kiln::ThreadPool::checkThreadCount(text); },
                "INT in 1..4x cores");

/// `--threads N`: the threads of the JIT's parallel loops, set as soon as it is parsed.
inline CLI::Option *addThreadsOption(CLI::App *sub) {
  return sub
      ->add_option_function<int>(
          "--threads", [](int n) { ThreadPool::setGlobalThreads(n); },
          "threads of the JIT's parallel loops (default: $KILN_THREADS, else all cores)")
      ->check(ThreadCount);
}

class Command {
public:
  virtual ~Command() = default;
  /// Adds the subcommand and its options to `app`; returns the subcommand.
  virtual CLI::App *declare(CLI::App &app) = 0;
  /// Runs after a successful parse; returns the process exit code. kiln::Error escapes to
  /// main, which prints it as one line.
  virtual int run() = 0;
};

std::unique_ptr<Command> makeModelsCommand();
std::unique_ptr<Command> makeIrCommand();
std::unique_ptr<Command> makePassesCommand();
std::unique_ptr<Command> makeCheckCommand();
std::unique_ptr<Command> makeRunCommand();
std::unique_ptr<Command> makeGradcheckCommand();
std::unique_ptr<Command> makeTrainCommand();
std::unique_ptr<Command> makeEvalCommand();
std::unique_ptr<Command> makeMnistCommand();
std::unique_ptr<Command> makePredictCommand();
std::unique_ptr<Command> makeProfileCommand();

} // namespace kiln::cli
