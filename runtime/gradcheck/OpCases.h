// The configurations on which each op's gradient rule is checked: one exhaustive switch
// over OpKind, so a new differentiable op without cases fails the gradient-check matrix.
#pragma once

#include "kiln/runtime/gradcheck/GradCheck.h"
#include "kiln/runtime/gradcheck/Sampler.h"

#include <string>
#include <vector>

namespace kiln::gradcheck {

/// One small f64 graph computing loss = sum(op(operands...) * weights), with values for
/// every input; `wrt` are the float operands.
struct OpCase {
  std::string label;  ///< "conv2d {groups = 2, stride = [2,2]}"
  std::string shapes; ///< "f64[2,4,5,5], f64[6,2,3,3]"
  Graph graph;
  ValueId loss = -1;
  std::vector<ValueId> wrt;
  GradCheckValues values;
  double step = kGradCheckStep;
};

/// The cases of `op`: awkward sizes (1, 3, 17), every attribute that changes the rule,
/// values away from the op's kinks. Empty for an op without a gradient.
std::vector<OpCase> opCases(OpKind op, Sampler &rng);

} // namespace kiln::gradcheck
