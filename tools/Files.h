// Small file helpers for the command line.
#pragma once

#include "kiln/ir/Error.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

namespace kiln::cli {

/// The whole file (or stdin for "-"); kiln::Error if it cannot be read.
inline std::string readTextFile(const std::string &path) {
  if (path == "-")
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    fail("{}: is a directory, not a file", path);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail("{}: cannot open for reading", path);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad())
    fail("{}: read error", path);
  return s.str();
}

} // namespace kiln::cli
