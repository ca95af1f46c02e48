// Elementwise kernels: the plain ops of ScalarOps.h, compare, select and convert.
// Each op's scalar function is handed to one loop template, so the loop body is inlined
// and vectorizable; the switch on the op happens once per tensor, never per element.
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/KernelFamilies.h"
#include "kiln/runtime/interp/ScalarOps.h"

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

/// A plain op (ScalarOps.h) over each element of its operands, all of one type.
template <ElementwiseOp Op, int Arity, bool TakesInts>
Tensor plainKernel(std::span<const Tensor> in) {
  return visitDType(in[0].dtype(), [&](auto tag) -> Tensor {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T> || (TakesInts && std::is_same_v<T, int32_t>)) {
      static_assert(Arity == 1 || Arity == 2, "plain elementwise ops are unary or binary");
      if constexpr (Arity == 1)
        return map1<T>(in[0], [](T v) { return Scalar<Op>::apply(v); });
      else
        return map2<T>(in[0], in[1], in[0].dtype(),
                       [](T x, T y) { return Scalar<Op>::apply(x, y); });
    } else {
      unreachable("an elementwise op on a type its shape rule refuses");
    }
  });
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

Tensor elementwiseKernel(ElementwiseOp op, std::span<const Tensor> in, const Attrs &attrs,
                         const Type &result) {
  switch (op) {
  case ElementwiseOp::Convert:
    return convertKernel(in[0], result.dtype);
  case ElementwiseOp::Compare:
    return compareKernel(compareOp(attrs.getString("direction")), in[0], in[1]);
  case ElementwiseOp::Select:
    return selectKernel(in[0], in[1], in[2]);
    // One case per plain op of Ops.def; Types Own ops are the cases above.
#define KILN_PLAIN_Numeric(Enum, Arity)                                                            \
  case ElementwiseOp::Enum:                                                                        \
    return plainKernel<ElementwiseOp::Enum, Arity, true>(in);
#define KILN_PLAIN_Float(Enum, Arity)                                                              \
  case ElementwiseOp::Enum:                                                                        \
    return plainKernel<ElementwiseOp::Enum, Arity, false>(in);
#define KILN_PLAIN_Own(Enum, Arity)
#define ELEMENTWISE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable, Types, Domain)           \
  KILN_PLAIN_##Types(Enum, Arity)
#include "kiln/ir/Ops.def"
#undef KILN_PLAIN_Numeric
#undef KILN_PLAIN_Float
#undef KILN_PLAIN_Own
  }
  unreachable("an elementwise op of Types Own without a kernel");
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
