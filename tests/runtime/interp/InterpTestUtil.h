// Helpers shared by the interpreter tests: tensors from literal values, running one op
// through evalNode, seeded random tensors and element-by-element comparison.
#pragma once

#include "kiln/ir/ShapeRules.h"
#include "kiln/runtime/Tensor.h"
#include "kiln/runtime/interp/Kernels.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace kiln::test {

/// A tensor of `type` holding `values` (converted to its dtype), in row-major order.
inline Tensor tensorOf(const Type &type, const std::vector<double> &values) {
  REQUIRE(static_cast<int64_t>(values.size()) == type.numElements());
  Tensor t(type);
  for (size_t i = 0; i < values.size(); ++i)
    t.set(static_cast<int64_t>(i), values[i]);
  return t;
}

inline Tensor f32(const Shape &shape, const std::vector<double> &values) {
  return tensorOf({DType::F32, shape}, values);
}
inline Tensor f64(const Shape &shape, const std::vector<double> &values) {
  return tensorOf({DType::F64, shape}, values);
}
inline Tensor i32(const Shape &shape, const std::vector<double> &values) {
  return tensorOf({DType::I32, shape}, values);
}
inline Tensor boolean(const Shape &shape, const std::vector<double> &values) {
  return tensorOf({DType::Bool, shape}, values);
}

/// Runs `op` on `operands` through evalNode, with the result type from the shape rule.
inline Tensor eval(OpKind op, const std::vector<Tensor> &operands, const Attrs &attrs = {}) {
  Node node{op, {}, attrs, {}, "", "test"};
  std::vector<Type> types;
  for (const Tensor &t : operands)
    types.push_back(t.type());
  node.type = inferType(op, types, attrs);
  for (size_t i = 0; i < operands.size(); ++i)
    node.operands.push_back(static_cast<int32_t>(i));
  Tensor out = evalNode(node, operands);
  REQUIRE(out.type() == node.type);
  return out;
}

/// Uniform values in [lo, hi) from a fixed seed.
inline Tensor randomTensor(const Type &type, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Tensor t(type);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, dist(rng));
  return t;
}

inline std::vector<double> valuesOf(const Tensor &t) {
  std::vector<double> v(static_cast<size_t>(t.numElements()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = t.at(static_cast<int64_t>(i));
  return v;
}

/// Checks the shape and every element, within `tolerance` (relative to max(1, |expected|)).
/// NaN matches NaN; infinities must match exactly. Reports the first few mismatches.
inline void checkTensor(const Tensor &actual, const Shape &shape,
                        const std::vector<double> &expected, double tolerance = 1e-6) {
  REQUIRE(shapeStr(actual.shape()) == shapeStr(shape));
  REQUIRE(static_cast<int64_t>(expected.size()) == actual.numElements());
  int mismatches = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    double a = actual.at(static_cast<int64_t>(i)), e = expected[i];
    bool ok = std::isnan(e)   ? std::isnan(a)
              : std::isinf(e) ? a == e
                              : std::abs(a - e) <= tolerance * std::max(1.0, std::abs(e));
    if (!ok && ++mismatches <= 5)
      FAIL_CHECK("element " << i << " of " << shapeStr(shape) << ": got " << a << ", expected "
                            << e);
  }
  CHECK(mismatches == 0);
}

/// Checks two tensors of the same type element by element.
inline void checkClose(const Tensor &actual, const Tensor &expected, double tolerance) {
  REQUIRE(actual.type() == expected.type());
  checkTensor(actual, expected.shape(), valuesOf(expected), tolerance);
}

/// Sum of elementwise products, in double.
inline double dot(const Tensor &a, const Tensor &b) {
  REQUIRE(a.numElements() == b.numElements());
  double s = 0;
  for (int64_t i = 0; i < a.numElements(); ++i)
    s += a.at(i) * b.at(i);
  return s;
}

inline std::vector<int64_t> ints(std::initializer_list<int64_t> v) { return v; }

} // namespace kiln::test
