// The arithmetic of every plain elementwise op (Ops.def's Types column is Numeric or
// Float), defined once as Scalar<Op>::apply for each element type the op takes, and
// beside it what the arithmetic does to bounds:
//   image(x[, y])   the interval of its real results over operand intervals;
//   slope(x)        for a unary op, a bound on |f'| over x (infinite where f' is not
//                   bounded), and slopes(x, y) the same for each operand of a binary op;
//   kSameBits       whether kiln's JIT and interpreter get identical bits from identical
//                   operands (IEEE-rounded arithmetic), rather than libm and libmvec
//                   results a few ulp apart.
// The interpreter instantiates apply for every plain op from Ops.def, and the
// random-graph test (tests/codegen/ValueFacts.cpp) derives value and error bounds from
// the rest, so a new plain op fails to compile until it is complete here, and needs no
// other place in either.
//
// i32 arithmetic wraps around (two's complement) instead of being undefined, and i32
// division by zero gives 0. Float-only ops (Types Float) are never applied to i32.
#pragma once

#include "kiln/ir/OpGroups.h"
#include "kiln/runtime/interp/Dispatch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace kiln::interp {

template <ElementwiseOp Op> struct Scalar; // one specialization per plain op, below

/// A closed interval of reals [lo, hi]; an end may be infinite.
struct Interval {
  double lo, hi;
  double magnitude() const { return std::max(std::abs(lo), std::abs(hi)); }
  bool contains(double v) const { return lo <= v && v <= hi; }
};

namespace scalar {
constexpr double kInf = std::numeric_limits<double>::infinity();

/// The interval spanned by the four corners of f over x times y: the image of an f
/// that is monotone in each operand separately.
template <typename F> Interval corners(Interval x, Interval y, F f) {
  std::array<double, 4> v = {f(x.lo, y.lo), f(x.lo, y.hi), f(x.hi, y.lo), f(x.hi, y.hi)};
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {*lo, *hi};
}

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
  static Interval image(Interval x) { return {-x.hi, -x.lo}; }
  static double slope(Interval) { return 1; }
  static constexpr bool kSameBits = true;
};

template <> struct Scalar<ElementwiseOp::Abs> {
  template <typename T> static T apply(T v) {
    if constexpr (scalar::isInt<T>)
      return v < 0 ? scalar::wrap(0u - scalar::bits(v)) : v;
    else
      return std::abs(v);
  }
  static Interval image(Interval x) {
    return {x.lo >= 0 ? x.lo : x.hi <= 0 ? -x.hi : 0, x.magnitude()};
  }
  static double slope(Interval) { return 1; }
  static constexpr bool kSameBits = true;
};

template <> struct Scalar<ElementwiseOp::Exp> {
  template <typename T> static T apply(T v) { return std::exp(v); }
  static Interval image(Interval x) { return {std::exp(x.lo), std::exp(x.hi)}; }
  static double slope(Interval x) { return std::exp(x.hi); }
  static constexpr bool kSameBits = false;
};

template <> struct Scalar<ElementwiseOp::Log> {
  template <typename T> static T apply(T v) { return std::log(v); }
  static Interval image(Interval x) {
    return {x.lo > 0 ? std::log(x.lo) : -scalar::kInf, std::log(x.hi)};
  }
  static double slope(Interval x) { return x.lo > 0 ? 1 / x.lo : scalar::kInf; }
  static constexpr bool kSameBits = false;
};

template <> struct Scalar<ElementwiseOp::Sqrt> {
  template <typename T> static T apply(T v) { return std::sqrt(v); }
  static Interval image(Interval x) {
    return {std::sqrt(std::max(x.lo, 0.0)), std::sqrt(std::max(x.hi, 0.0))};
  }
  static double slope(Interval x) { return x.lo > 0 ? 0.5 / std::sqrt(x.lo) : scalar::kInf; }
  static constexpr bool kSameBits = true;
};

template <> struct Scalar<ElementwiseOp::Rsqrt> {
  template <typename T> static T apply(T v) { return T(1) / std::sqrt(v); }
  static Interval image(Interval x) {
    return {1 / std::sqrt(x.hi), x.lo > 0 ? 1 / std::sqrt(x.lo) : scalar::kInf};
  }
  static double slope(Interval x) { return x.lo > 0 ? 0.5 * std::pow(x.lo, -1.5) : scalar::kInf; }
  static constexpr bool kSameBits = true; // 1 / sqrt(x): two IEEE operations on both sides
};

template <> struct Scalar<ElementwiseOp::Tanh> {
  template <typename T> static T apply(T v) { return std::tanh(v); }
  static Interval image(Interval x) { return {std::tanh(x.lo), std::tanh(x.hi)}; }
  static double slope(Interval) { return 1; }
  static constexpr bool kSameBits = false;
};

/// 1 / (1 + e^-x) without overflow: for x < 0 it is e^x / (1 + e^x).
template <> struct Scalar<ElementwiseOp::Logistic> {
  template <typename T> static T apply(T v) {
    if (v >= T(0))
      return T(1) / (T(1) + std::exp(-v));
    T e = std::exp(v);
    return e / (T(1) + e);
  }
  static Interval image(Interval x) { return {apply(x.lo), apply(x.hi)}; }
  static double slope(Interval) { return 0.25; }
  static constexpr bool kSameBits = false;
};

template <> struct Scalar<ElementwiseOp::Add> {
  template <typename T> static T apply(T x, T y) {
    if constexpr (scalar::isInt<T>)
      return scalar::wrap(scalar::bits(x) + scalar::bits(y));
    else
      return x + y;
  }
  static Interval image(Interval x, Interval y) { return {x.lo + y.lo, x.hi + y.hi}; }
  static std::array<double, 2> slopes(Interval, Interval) { return {1, 1}; }
  static constexpr bool kSameBits = true;
};

template <> struct Scalar<ElementwiseOp::Sub> {
  template <typename T> static T apply(T x, T y) {
    if constexpr (scalar::isInt<T>)
      return scalar::wrap(scalar::bits(x) - scalar::bits(y));
    else
      return x - y;
  }
  static Interval image(Interval x, Interval y) { return {x.lo - y.hi, x.hi - y.lo}; }
  static std::array<double, 2> slopes(Interval, Interval) { return {1, 1}; }
  static constexpr bool kSameBits = true;
};

template <> struct Scalar<ElementwiseOp::Mul> {
  template <typename T> static T apply(T x, T y) {
    if constexpr (scalar::isInt<T>)
      return scalar::wrap(scalar::bits(x) * scalar::bits(y));
    else
      return x * y;
  }
  static Interval image(Interval x, Interval y) {
    return scalar::corners(x, y, [](double a, double b) { return a * b; });
  }
  static std::array<double, 2> slopes(Interval x, Interval y) {
    return {y.magnitude(), x.magnitude()};
  }
  static constexpr bool kSameBits = true;
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
  /// Real division: unbounded when the divisor's interval holds 0.
  static Interval image(Interval x, Interval y) {
    if (y.contains(0))
      return {-scalar::kInf, scalar::kInf};
    return scalar::corners(x, y, [](double a, double b) { return a / b; });
  }
  static std::array<double, 2> slopes(Interval x, Interval y) {
    if (y.contains(0))
      return {scalar::kInf, scalar::kInf};
    double smallest = std::min(std::abs(y.lo), std::abs(y.hi));
    return {1 / smallest, x.magnitude() / (smallest * smallest)};
  }
  static constexpr bool kSameBits = true;
};

template <> struct Scalar<ElementwiseOp::Max> {
  template <typename T> static T apply(T x, T y) { return maxValue(x, y); }
  static Interval image(Interval x, Interval y) {
    return {std::max(x.lo, y.lo), std::max(x.hi, y.hi)};
  }
  static std::array<double, 2> slopes(Interval, Interval) { return {1, 1}; }
  static constexpr bool kSameBits = true;
};

template <> struct Scalar<ElementwiseOp::Min> {
  template <typename T> static T apply(T x, T y) { return minValue(x, y); }
  static Interval image(Interval x, Interval y) {
    return {std::min(x.lo, y.lo), std::min(x.hi, y.hi)};
  }
  static std::array<double, 2> slopes(Interval, Interval) { return {1, 1}; }
  static constexpr bool kSameBits = true;
};

template <> struct Scalar<ElementwiseOp::Pow> {
  template <typename T> static T apply(T x, T y) { return std::pow(x, y); }
  /// Over positive bases only (x^y is monotone in each operand there); unbounded else.
  static Interval image(Interval x, Interval y) {
    if (x.lo <= 0)
      return {-scalar::kInf, scalar::kInf};
    return scalar::corners(x, y, [](double a, double b) { return std::pow(a, b); });
  }
  /// d/dx = y x^(y-1) <= |y| max(x^y) / min(x); d/dy = x^y log x.
  static std::array<double, 2> slopes(Interval x, Interval y) {
    if (x.lo <= 0)
      return {scalar::kInf, scalar::kInf};
    double top = image(x, y).magnitude();
    double logBase = std::max(std::abs(std::log(x.lo)), std::abs(std::log(x.hi)));
    return {y.magnitude() * top / x.lo, top * logBase};
  }
  static constexpr bool kSameBits = false;
};

} // namespace kiln::interp
