// Internal to the interpreter: one iterator for every kernel that walks tensors of any
// rank with per-operand strides (transpose, broadcast, slice, pad, reductions).
//
// Algorithm:
//   1. drop dimensions of size 1 (they never move an offset);
//   2. merge neighbouring dimensions i, i+1 when every operand steps through them as
//      one (stride[i] == stride[i+1] * size[i+1]), so contiguous cases become one run;
//   3. walk the outer dimensions with an odometer that updates the offsets
//      incrementally, and hand the innermost dimension to the kernel as a "run"
//      (base offsets, length, inner strides) that it processes in a tight loop.
#pragma once

#include "kiln/ir/Type.h"

#include <array>
#include <cstdint>
#include <vector>

namespace kiln::interp {

/// Row-major strides (in elements) of `shape`.
inline std::vector<int64_t> rowMajorStrides(const Shape &shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/// Visits every index of `shape` in row-major order for N operands, operand k at offset
/// base[k] + sum_i index[i] * strides[k][i]. Calls
/// body(std::array<int64_t, N> offsets, int64_t count, std::array<int64_t, N> steps)
/// once per innermost run: element j of the run sits at offsets[k] + j * steps[k].
template <size_t N, typename Body>
void forEachRun(const Shape &shape, const std::array<std::vector<int64_t>, N> &strides,
                std::array<int64_t, N> base, Body &&body) {
  // Steps 1 and 2: the collapsed loop nest, outermost first.
  std::vector<int64_t> sizes;
  std::vector<std::array<int64_t, N>> steps;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0)
      return;
    if (shape[i] == 1)
      continue;
    std::array<int64_t, N> s;
    for (size_t k = 0; k < N; ++k)
      s[k] = strides[k][i];
    if (!sizes.empty()) {
      bool mergeable = true;
      for (size_t k = 0; k < N; ++k)
        mergeable = mergeable && steps.back()[k] == s[k] * shape[i];
      if (mergeable) {
        sizes.back() *= shape[i];
        steps.back() = s;
        continue;
      }
    }
    sizes.push_back(shape[i]);
    steps.push_back(s);
  }
  if (sizes.empty()) {
    body(base, int64_t(1), std::array<int64_t, N>{});
    return;
  }

  // Step 3: odometer over all but the innermost dimension.
  size_t outer = sizes.size() - 1;
  int64_t inner = sizes[outer];
  std::array<int64_t, N> innerSteps = steps[outer];
  std::vector<int64_t> index(outer, 0);
  std::array<int64_t, N> offsets = base;
  while (true) {
    body(offsets, inner, innerSteps);
    size_t d = outer;
    while (d > 0) {
      --d;
      if (++index[d] < sizes[d]) {
        for (size_t k = 0; k < N; ++k)
          offsets[k] += steps[d][k];
        break;
      }
      for (size_t k = 0; k < N; ++k)
        offsets[k] -= steps[d][k] * (sizes[d] - 1);
      index[d] = 0;
      if (d == 0)
        return;
    }
    if (outer == 0)
      return;
  }
}

} // namespace kiln::interp
