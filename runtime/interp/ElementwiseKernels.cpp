// Elementwise kernels: unary maths, binary arithmetic, compare, select and convert.
// Each op is a lambda handed to one loop template, so the loop body is inlined and
// vectorizable; the switch on the op happens once per tensor, never per element.
// i32 arithmetic wraps around (two's complement) instead of being undefined, and i32
// division by zero gives 0.
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/KernelFamilies.h"

#include <cmath>

namespace kiln::interp {

namespace {

template <typename T, typename F> Tensor map1(const Tensor &x, F f) {
  Tensor out = Tensor::uninitialized(x.type());
  std::span<const T> a = x.data<T>();
  std::span<T> o = out.data<T>();
  for (size_t i = 0; i < o.size(); ++i)
    o[i] = f(a[i]);
  return out;
}

template <typename T, typename R = T, typename F>
Tensor map2(const Tensor &x, const Tensor &y, DType resultDType, F f) {
  Tensor out = Tensor::uninitialized({resultDType, x.shape()});
  std::span<const T> a = x.data<T>(), b = y.data<T>();
  std::span<R> o = out.data<R>();
  for (size_t i = 0; i < o.size(); ++i)
    o[i] = f(a[i], b[i]);
  return out;
}

/// Wrapping i32 arithmetic through uint32_t (defined for every input).
int32_t wrap(uint32_t v) { return static_cast<int32_t>(v); }
uint32_t bits(int32_t v) { return static_cast<uint32_t>(v); }

/// 1 / (1 + e^-x) without overflow: for x < 0 it is e^x / (1 + e^x).
template <typename T> T logistic(T x) {
  if (x >= T(0))
    return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

template <typename T> Tensor floatUnary(UnaryOp op, const Tensor &x) {
  switch (op) {
  case UnaryOp::Neg:
    return map1<T>(x, [](T v) { return -v; });
  case UnaryOp::Abs:
    return map1<T>(x, [](T v) { return std::abs(v); });
  case UnaryOp::Exp:
    return map1<T>(x, [](T v) { return std::exp(v); });
  case UnaryOp::Log:
    return map1<T>(x, [](T v) { return std::log(v); });
  case UnaryOp::Sqrt:
    return map1<T>(x, [](T v) { return std::sqrt(v); });
  case UnaryOp::Rsqrt:
    return map1<T>(x, [](T v) { return T(1) / std::sqrt(v); });
  case UnaryOp::Tanh:
    return map1<T>(x, [](T v) { return std::tanh(v); });
  case UnaryOp::Logistic:
    return map1<T>(x, [](T v) { return logistic(v); });
  }
  unreachable("unknown unary op");
}

Tensor intUnary(UnaryOp op, const Tensor &x) {
  switch (op) {
  case UnaryOp::Neg:
    return map1<int32_t>(x, [](int32_t v) { return wrap(0u - bits(v)); });
  case UnaryOp::Abs:
    return map1<int32_t>(x, [](int32_t v) { return v < 0 ? wrap(0u - bits(v)) : v; });
  case UnaryOp::Exp:
  case UnaryOp::Log:
  case UnaryOp::Sqrt:
  case UnaryOp::Rsqrt:
  case UnaryOp::Tanh:
  case UnaryOp::Logistic:
    break;
  }
  unreachable("float-only unary op on i32");
}

template <typename T> Tensor floatBinary(BinaryOp op, const Tensor &a, const Tensor &b) {
  DType d = a.dtype();
  switch (op) {
  case BinaryOp::Add:
    return map2<T>(a, b, d, [](T x, T y) { return x + y; });
  case BinaryOp::Sub:
    return map2<T>(a, b, d, [](T x, T y) { return x - y; });
  case BinaryOp::Mul:
    return map2<T>(a, b, d, [](T x, T y) { return x * y; });
  case BinaryOp::Div:
    return map2<T>(a, b, d, [](T x, T y) { return x / y; });
  case BinaryOp::Max:
    return map2<T>(a, b, d, [](T x, T y) { return maxValue(x, y); });
  case BinaryOp::Min:
    return map2<T>(a, b, d, [](T x, T y) { return minValue(x, y); });
  case BinaryOp::Pow:
    return map2<T>(a, b, d, [](T x, T y) { return std::pow(x, y); });
  }
  unreachable("unknown binary op");
}

Tensor intBinary(BinaryOp op, const Tensor &a, const Tensor &b) {
  using I = int32_t;
  DType d = DType::I32;
  switch (op) {
  case BinaryOp::Add:
    return map2<I>(a, b, d, [](I x, I y) { return wrap(bits(x) + bits(y)); });
  case BinaryOp::Sub:
    return map2<I>(a, b, d, [](I x, I y) { return wrap(bits(x) - bits(y)); });
  case BinaryOp::Mul:
    return map2<I>(a, b, d, [](I x, I y) { return wrap(bits(x) * bits(y)); });
  case BinaryOp::Div:
    // Truncates toward zero; x / 0 is 0 and INT_MIN / -1 wraps to INT_MIN.
    return map2<I>(a, b, d, [](I x, I y) {
      if (y == 0)
        return I(0);
      if (y == -1)
        return wrap(0u - bits(x));
      return I(x / y);
    });
  case BinaryOp::Max:
    return map2<I>(a, b, d, [](I x, I y) { return maxValue(x, y); });
  case BinaryOp::Min:
    return map2<I>(a, b, d, [](I x, I y) { return minValue(x, y); });
  case BinaryOp::Pow:
    break;
  }
  unreachable("float-only binary op on i32");
}

template <typename T> Tensor compareTyped(CompareOp op, const Tensor &a, const Tensor &b) {
  constexpr DType kBool = DType::Bool;
  switch (op) {
  case CompareOp::Eq:
    return map2<T, uint8_t>(a, b, kBool, [](T x, T y) -> uint8_t { return x == y; });
  case CompareOp::Ne:
    return map2<T, uint8_t>(a, b, kBool, [](T x, T y) -> uint8_t { return x != y; });
  case CompareOp::Lt:
    return map2<T, uint8_t>(a, b, kBool, [](T x, T y) -> uint8_t { return x < y; });
  case CompareOp::Le:
    return map2<T, uint8_t>(a, b, kBool, [](T x, T y) -> uint8_t { return x <= y; });
  case CompareOp::Gt:
    return map2<T, uint8_t>(a, b, kBool, [](T x, T y) -> uint8_t { return x > y; });
  case CompareOp::Ge:
    return map2<T, uint8_t>(a, b, kBool, [](T x, T y) -> uint8_t { return x >= y; });
  }
  unreachable("unknown compare direction");
}

template <typename To, typename From> void convertInto(const Tensor &x, Tensor &out) {
  std::span<const From> a = x.data<From>();
  std::span<To> o = out.data<To>();
  for (size_t i = 0; i < o.size(); ++i)
    o[i] = convertValue<To>(a[i]);
}

} // namespace

Tensor unaryKernel(UnaryOp op, const Tensor &x) {
  return visitDType(x.dtype(), [&](auto tag) -> Tensor {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      return floatUnary<T>(op, x);
    else if constexpr (std::is_same_v<T, int32_t>)
      return intUnary(op, x);
    else
      unreachable("unary op on bool");
  });
}

Tensor binaryKernel(BinaryOp op, const Tensor &a, const Tensor &b) {
  return visitDType(a.dtype(), [&](auto tag) -> Tensor {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      return floatBinary<T>(op, a, b);
    else if constexpr (std::is_same_v<T, int32_t>)
      return intBinary(op, a, b);
    else
      unreachable("binary arithmetic on bool");
  });
}

Tensor convertKernel(const Tensor &x, DType to) {
  Tensor out = Tensor::uninitialized({to, x.shape()});
  visitDType(x.dtype(), [&](auto fromTag) {
    visitDType(to, [&](auto toTag) { convertInto<decltype(toTag), decltype(fromTag)>(x, out); });
  });
  return out;
}

CompareOp compareOp(const std::string &direction) {
  static const std::pair<const char *, CompareOp> kNames[] = {
      {"eq", CompareOp::Eq}, {"ne", CompareOp::Ne}, {"lt", CompareOp::Lt},
      {"le", CompareOp::Le}, {"gt", CompareOp::Gt}, {"ge", CompareOp::Ge}};
  for (const auto &[name, op] : kNames)
    if (direction == name)
      return op;
  unreachable("unknown compare direction");
}

Tensor compareKernel(CompareOp op, const Tensor &a, const Tensor &b) {
  return visitDType(a.dtype(),
                    [&](auto tag) -> Tensor { return compareTyped<decltype(tag)>(op, a, b); });
}

Tensor selectKernel(const Tensor &pred, const Tensor &onTrue, const Tensor &onFalse) {
  Tensor out = Tensor::uninitialized(onTrue.type());
  std::span<const uint8_t> p = pred.data<uint8_t>();
  visitDType(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::span<const T> t = onTrue.data<T>(), f = onFalse.data<T>();
    std::span<T> o = out.data<T>();
    for (size_t i = 0; i < o.size(); ++i)
      o[i] = p[i] ? t[i] : f[i];
  });
  return out;
}

} // namespace kiln::interp
