// kiln::Error: the one exception type of kiln's user-facing API (builder, parser,
// data and checkpoint I/O). The message already carries its context (layer, op and
// shapes; file:line:col; file and byte offset), so the CLI prints it as one line.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace kiln {

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Throws kiln::Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args &&...args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

} // namespace kiln
