// The per-op matrix of the JIT: for every op of the table, graphs that apply it on
// awkward shapes (sizes 1, 3, 17, 31, 63), every attribute that changes its kernel, and
// special values (NaN, infinities, signed zeros, ties) where the semantics are subtle.
#pragma once

#include "JitTestUtil.h"

#include <string>
#include <vector>

namespace kiln::test {

struct OpCase {
  std::string label;
  Graph graph;
  ValueDomain domain;
  double rtol = 0; ///< 0: bit-exact
};

/// The cases of `op`; an exhaustive switch, so a new op fails to compile until it has
/// cases here.
std::vector<OpCase> jitOpCases(OpKind op);

} // namespace kiln::test
