// Internal to the interpreter: the arithmetic of every plain elementwise op (Ops.def's
// Types column is Numeric or Float), defined once as Scalar<Op>::apply for each element
// type the op takes. ElementwiseKernels.cpp instantiates one loop per op from Ops.def, so
// a new plain op fails to compile until it has its specialization here, and needs no
// other place in the interpreter.
//
// i32 arithmetic wraps around (two's complement) instead of being undefined, and i32
// division by zero gives 0. Float-only ops (Types Float) are never applied to i32.
#pragma once

#include "kiln/ir/OpGroups.h"
#include "kiln/runtime/interp/Dispatch.h"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace kiln::interp {

template <ElementwiseOp Op> struct Scalar; // one specialization per plain op, below

namespace scalar {
/// Wrapping i32 arithmetic through uint32_t (defined for every input).
inline int32_t wrap(uint32_t v) { return static_cast<int32_t>(v); }
inline uint32_t bits(int32_t v) { return static_cast<uint32_t>(v); }
template <typename T> constexpr bool isInt = std::is_same_v<T, int32_t>;
} // namespace scalar

template <> struct Scalar<ElementwiseOp::Neg> {
  template <typename T> static T apply(T v) {
    if constexpr (scalar::isInt<T>)
      return scalar::wrap(0u - scalar::bits(v));
    else
      return -v;
  }
};

template <> struct Scalar<ElementwiseOp::Abs> {
  template <typename T> static T apply(T v) {
    if constexpr (scalar::isInt<T>)
      return v < 0 ? scalar::wrap(0u - scalar::bits(v)) : v;
    else
      return std::abs(v);
  }
};

template <> struct Scalar<ElementwiseOp::Exp> {
  template <typename T> static T apply(T v) { return std::exp(v); }
};

template <> struct Scalar<ElementwiseOp::Log> {
  template <typename T> static T apply(T v) { return std::log(v); }
};

template <> struct Scalar<ElementwiseOp::Sqrt> {
  template <typename T> static T apply(T v) { return std::sqrt(v); }
};

template <> struct Scalar<ElementwiseOp::Rsqrt> {
  template <typename T> static T apply(T v) { return T(1) / std::sqrt(v); }
};

template <> struct Scalar<ElementwiseOp::Tanh> {
  template <typename T> static T apply(T v) { return std::tanh(v); }
};

/// 1 / (1 + e^-x) without overflow: for x < 0 it is e^x / (1 + e^x).
template <> struct Scalar<ElementwiseOp::Logistic> {
  template <typename T> static T apply(T v) {
    if (v >= T(0))
      return T(1) / (T(1) + std::exp(-v));
    T e = std::exp(v);
    return e / (T(1) + e);
  }
};

template <> struct Scalar<ElementwiseOp::Add> {
  template <typename T> static T apply(T x, T y) {
    if constexpr (scalar::isInt<T>)
      return scalar::wrap(scalar::bits(x) + scalar::bits(y));
    else
      return x + y;
  }
};

template <> struct Scalar<ElementwiseOp::Sub> {
  template <typename T> static T apply(T x, T y) {
    if constexpr (scalar::isInt<T>)
      return scalar::wrap(scalar::bits(x) - scalar::bits(y));
    else
      return x - y;
  }
};

template <> struct Scalar<ElementwiseOp::Mul> {
  template <typename T> static T apply(T x, T y) {
    if constexpr (scalar::isInt<T>)
      return scalar::wrap(scalar::bits(x) * scalar::bits(y));
    else
      return x * y;
  }
};

/// i32 truncates toward zero; x / 0 is 0 and INT_MIN / -1 wraps to INT_MIN.
template <> struct Scalar<ElementwiseOp::Div> {
  template <typename T> static T apply(T x, T y) {
    if constexpr (scalar::isInt<T>) {
      if (y == 0)
        return 0;
      if (y == -1)
        return scalar::wrap(0u - scalar::bits(x));
      return x / y;
    } else {
      return x / y;
    }
  }
};

template <> struct Scalar<ElementwiseOp::Max> {
  template <typename T> static T apply(T x, T y) { return maxValue(x, y); }
};

template <> struct Scalar<ElementwiseOp::Min> {
  template <typename T> static T apply(T x, T y) { return minValue(x, y); }
};

template <> struct Scalar<ElementwiseOp::Pow> {
  template <typename T> static T apply(T x, T y) { return std::pow(x, y); }
};

} // namespace kiln::interp
