// What every fuzz harness shares: the readers under test take a path, so each input is
// written to one file (on tmpfs where there is one) first (which also sends gzip'd IDX bytes
// through zlib as a real file would), and an outcome the contract forbids stops the run with a
// message libFuzzer keeps beside the crashing input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace kiln::fuzz {

/// Writes `size` bytes to this process's scratch file (in /dev/shm when the machine has
/// it, else the temporary directory) and returns its path.
inline const std::string &writeInput(const uint8_t *data, size_t size) {
  static const std::string path =
      (std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                 : std::filesystem::temp_directory_path()) /
      ("kiln-fuzz-" + std::to_string(::getpid()));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

/// Stops the run: the input broke the reader's contract.
[[noreturn]] inline void contractBroken(const std::string &what) {
  std::fprintf(stderr, "fuzz: contract broken: %s\n", what.c_str());
  std::abort();
}

/// A kiln::Error message must be one line that starts with the file it is about.
inline void checkMessage(const std::string &message, const std::string &prefix) {
  if (message.rfind(prefix, 0) != 0 || message.find('\n') != std::string::npos)
    contractBroken("malformed error message: " + message);
}

} // namespace kiln::fuzz
