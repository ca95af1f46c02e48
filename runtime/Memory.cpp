// The machine's available memory, from the kernel's own estimate and the cgroup limit.
#include "kiln/runtime/Memory.h"

#include "kiln/ir/Error.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace kiln {

namespace {

/// The kB value of `key` in /proc/meminfo, in bytes; -1 if absent.
int64_t meminfoBytes(std::string_view key) {
  std::ifstream file("/proc/meminfo");
  std::string line;
  while (std::getline(file, line))
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
        line[key.size()] == ':') {
      std::istringstream rest(line.substr(key.size() + 1));
      int64_t kb = -1;
      if (rest >> kb)
        return kb * 1024;
    }
  return -1;
}

/// One integer in a cgroup file; -1 when the file is missing or says "max".
int64_t cgroupValue(const char *path) {
  std::ifstream file(path);
  int64_t value = -1;
  if (!(file >> value))
    return -1;
  return value;
}

} // namespace

int64_t availableMemoryBytes() {
  int64_t available = meminfoBytes("MemAvailable");
  int64_t limit = cgroupValue("/sys/fs/cgroup/memory.max");
  int64_t used = cgroupValue("/sys/fs/cgroup/memory.current");
  if (limit >= 0 && used >= 0) {
    int64_t left = std::max<int64_t>(limit - used, 0);
    available = available < 0 ? left : std::min(available, left);
  }
  return available;
}

std::string formatBytes(int64_t bytes) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024)
    return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

void requireMemory(int64_t bytes, std::string_view what) {
  int64_t available = availableMemoryBytes();
  if (available >= 0 && bytes > available)
    fail("{} needs {}; {} available", what, formatBytes(bytes), formatBytes(available));
}

} // namespace kiln
