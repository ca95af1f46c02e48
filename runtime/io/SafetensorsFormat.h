// Constants and byte-order helpers shared by the safetensors writer and reader (internal to
// kiln_io).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace kiln {

// Tensor bytes are copied to and from the file as they are in memory; the format is
// little-endian, and so is every machine kiln targets.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O copies tensor bytes directly and needs a little-endian host");

/// The header key holding the string-to-string metadata instead of a tensor.
inline constexpr const char *kMetadataKey = "__metadata__";

/// Header lengths beyond this are rejected, as the reference implementation does, so a
/// corrupt length cannot make a reader allocate gigabytes.
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

inline void storeLittleEndian64(char *out, uint64_t value) { std::memcpy(out, &value, 8); }

inline uint64_t loadLittleEndian64(const char *in) {
  uint64_t value;
  std::memcpy(&value, in, 8);
  return value;
}

} // namespace kiln
