// The machine's memory, checked before a graph runs: a graph whose tensors fit kiln's
// 2^40-element limit can still need terabytes, and it must be refused with the figures
// ("graph @g needs 3.6 TiB; 23.5 GiB available") instead of dying in an allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

/// Bytes a process can still allocate: MemAvailable of /proc/meminfo, lowered to what a
/// cgroup's memory.max leaves; -1 when neither can be read (then nothing is refused).
int64_t availableMemoryBytes();

/// "3.6 TiB", "23.5 GiB", "512 B".
std::string formatBytes(int64_t bytes);

/// kiln::Error "WHAT needs N; M available" when `bytes` exceed the available memory.
void requireMemory(int64_t bytes, std::string_view what);

} // namespace kiln
