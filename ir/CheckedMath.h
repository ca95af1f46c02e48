// Size arithmetic that cannot overflow. Shapes and attributes come from users' files, so
// a padding of 2^63-1 must be an error, not a wrapped size that the interpreter and the
// JIT then read differently. The shape rules and the attribute accessors compute every
// sum and product of sizes, paddings, strides and windows through these.
#pragma once

#include "kiln/ir/Error.h"

#include <cstdint>

namespace kiln {

/// The largest tensor, in elements, and so the largest size or attribute value (padding,
/// stride, window, dilation, slice bound) a graph may hold: 2^40.
inline constexpr int64_t kMaxElements = int64_t(1) << 40;

/// a + b, or kiln::Error "WHAT overflows (a + b)".
inline int64_t checkedAdd(int64_t a, int64_t b, const char *what) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum))
    fail("{} overflows ({} + {})", what, a, b);
  return sum;
}

/// a * b, or kiln::Error "WHAT overflows (a * b)".
inline int64_t checkedMul(int64_t a, int64_t b, const char *what) {
  int64_t product;
  if (__builtin_mul_overflow(a, b, &product))
    fail("{} overflows ({} * {})", what, a, b);
  return product;
}

/// `value` if it is at most kMaxElements, else kiln::Error naming the attribute.
inline int64_t boundedAttr(int64_t value, const char *key) {
  if (value > kMaxElements)
    fail("attribute '{}' must be <= 2^40, got {}", key, value);
  return value;
}

} // namespace kiln
