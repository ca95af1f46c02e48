// Internal to the interpreter: which output positions of a sliding window read a real
// (unpadded) input position, shared by convolution and pooling.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

namespace kiln::interp {

/// The output positions [lo, hi) whose input position pos*stride + offset lies in
/// [0, size), for outputs 0..outSize-1. Lets kernels run branch-free inner loops over
/// exactly the cells that exist, instead of testing every cell against the padding.
inline std::pair<int64_t, int64_t> validRange(int64_t offset, int64_t stride, int64_t size,
                                              int64_t outSize) {
  int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = size - 1 - offset;
  int64_t hi = last < 0 ? 0 : last / stride + 1;
  lo = std::min(lo, outSize);
  hi = std::clamp(hi, lo, outSize);
  return {lo, hi};
}

} // namespace kiln::interp
