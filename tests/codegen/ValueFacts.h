// What the random-graph test knows about each value without running anything: bounds
// on its elements and on how far the JIT may differ from the interpreter. The
// generator reads the bounds to pick only safe ops (no log of a negative, no overflow,
// no division by a value near zero); the differential check reads the error bound as
// its tolerance, so values the JIT must compute bit for bit (integers, bools, exact
// float arithmetic, views) are compared exactly, and each inexact op (libmvec maths,
// reassociated sums and contractions) widens the tolerance of everything downstream by
// what it can contribute.
#pragma once

#include "kiln/ir/Graph.h"

#include <cmath>
#include <limits>
#include <vector>

namespace kiln::test {

struct Facts {
  double lo = 0, hi = 0; ///< every element is in [lo, hi]
  /// Bound on |jit - interpreter| per element: 0 means bit-exact, infinity that an op
  /// which must see exact operands (compare, float-to-int, argmax) saw inexact ones, so
  /// the value cannot be checked.
  double err = 0;

  double magnitude() const { return std::max(std::abs(lo), std::abs(hi)); }
  bool exact() const { return err == 0; }
  bool checkable() const { return std::isfinite(err); }
};

/// The facts of node `id` of `graph` from the facts of its operands (indexed by value);
/// inputs and state get `facts[id]` unchanged, so set them first.
Facts transfer(const Graph &graph, ValueId id, const std::vector<Facts> &facts);

/// The facts of the node `op(operands) {attrs}` of type `result` before it is added to
/// a graph (the generator's look-ahead).
Facts transfer(OpKind op, const std::vector<Type> &operandTypes,
               const std::vector<Facts> &operandFacts, const Attrs &attrs, const Type &result);

} // namespace kiln::test
