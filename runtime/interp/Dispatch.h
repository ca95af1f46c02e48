// Internal to the interpreter: turning a runtime DType into a C++ element type, and the
// value conversions every kernel agrees on (Convert, Constant, Iota use the same ones).
#pragma once

#include "kiln/ir/Error.h"
#include "kiln/ir/Type.h"

#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace kiln::interp {

/// Marks a state the shape rules make impossible. Asserts in debug builds and still
/// throws (rather than continuing with garbage) when assertions are compiled out.
[[noreturn]] inline void unreachable(const char *what) {
  assert(false && "interpreter invariant violated");
  fail("internal error in the interpreter: {}", what);
}

/// Calls f(T{}) with T the storage type of `dtype` (float, double, int32_t, uint8_t).
template <typename F> decltype(auto) visitDType(DType dtype, F &&f) {
  switch (dtype) {
  case DType::F32:
    return f(float{});
  case DType::F64:
    return f(double{});
  case DType::I32:
    return f(int32_t{});
  case DType::Bool:
    return f(uint8_t{});
  }
  unreachable("unknown dtype");
}

/// Like visitDType for the float dtypes only; instantiates nothing else.
template <typename F> decltype(auto) visitFloat(DType dtype, F &&f) {
  switch (dtype) {
  case DType::F32:
    return f(float{});
  case DType::F64:
    return f(double{});
  case DType::I32:
  case DType::Bool:
    break;
  }
  unreachable("a float kernel got a non-float dtype");
}

/// Converts one element between storage types. Float to i32 truncates toward zero as
/// C++ does, and saturates where C++ would be undefined: NaN gives 0, values beyond
/// the i32 range give its nearest bound. Anything to bool is `x != 0`.
template <typename To, typename From> To convertValue(From v) {
  if constexpr (std::is_same_v<To, uint8_t>) {
    return v != From(0) ? 1 : 0;
  } else if constexpr (std::is_same_v<To, int32_t> && std::is_floating_point_v<From>) {
    if (std::isnan(v))
      return 0;
    if (static_cast<double>(v) <= -2147483648.0)
      return std::numeric_limits<int32_t>::min();
    if (static_cast<double>(v) >= 2147483647.0)
      return std::numeric_limits<int32_t>::max();
    return static_cast<int32_t>(v);
  } else {
    return static_cast<To>(v);
  }
}

/// NaN-propagating maximum and minimum (a NaN operand gives NaN, as in PyTorch), so a
/// diverging model shows NaN instead of silently clipping it away.
template <typename T> T maxValue(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a) || std::isnan(b))
      return std::isnan(a) ? a : b;
  return a < b ? b : a;
}
template <typename T> T minValue(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a) || std::isnan(b))
      return std::isnan(a) ? a : b;
  return b < a ? b : a;
}

/// "Is `v` a strictly better maximum than `best`?" for first-maximum searches (argmax):
/// NaN beats any number, and ties keep the earlier position.
template <typename T> bool beatsMax(T v, T best) {
  if constexpr (std::is_floating_point_v<T>)
    // Bitwise operators keep this branch-free (v != v: v is NaN); comparisons of
    // activations are unpredictable, so branches would mispredict half the time.
    return (v > best) | ((v != v) & (best == best));
  else
    return v > best;
}

} // namespace kiln::interp
