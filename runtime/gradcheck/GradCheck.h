// Finite-difference checks of gradients: of every op's gradient rule (on seeded random
// shapes and values) and of whole graphs (layers built from primitives). Everything runs
// in f64 on the interpreter, with central differences.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln {

/// One line of the `kiln gradcheck` table. Errors compare the analytic gradient g with
/// the central difference n elementwise: abs = |g - n|, rel = |g - n| / max(|g|, |n|, 1)
/// (a relative error that becomes absolute for gradients smaller than 1).
struct GradCheckRow {
  std::string op;     ///< op mnemonic, or the label of a graph check
  std::string shapes; ///< operand types of the worst case ("+k" when several were run)
  double maxAbsError;
  double maxRelError;
  bool passed; ///< maxRelError <= kGradCheckTolerance in every case
};

/// Step of the central differences (f(x + h) - f(x - h)) / 2h.
inline constexpr double kGradCheckStep = 1e-6;
/// Largest accepted relative error.
inline constexpr double kGradCheckTolerance = 1e-6;

/// Finite-difference check of the gradient rule of each op in `ops` (all differentiable ops if
/// empty), on seeded random shapes and values, in f64 with central differences.
/// One row per op, in the order given (op-table order when empty). Throws kiln::Error for
/// an op without a gradient.
std::vector<GradCheckRow> gradCheckOps(const std::vector<OpKind> &ops, uint64_t seed);

/// The cases behind one op's row, one row each, labelled with the attributes used, so a
/// failure can be traced to one configuration.
std::vector<GradCheckRow> gradCheckOpCases(OpKind op, uint64_t seed);

/// Checks d(output)/d(wrt) of an arbitrary graph with a scalar f64 output against central
/// differences (used for layer-level checks too). `wrt` are f64 inputs or state; every
/// input and state gets seeded values: floats uniform in [-1, 1], bools by coin flip.
/// Throws kiln::Error if the graph has an i32 input (give its values with the overload
/// below) or the loss or a wrt value has another type.
GradCheckRow gradCheckGraph(const Graph &graph, ValueId loss, const std::vector<ValueId> &wrt,
                            uint64_t seed, std::string label);

/// Values of some inputs or state, by id; the others are drawn from the seed.
using GradCheckValues = std::map<ValueId, Tensor>;

/// gradCheckGraph with given values for some inputs or state and a chosen step.
GradCheckRow gradCheckGraph(const Graph &graph, ValueId loss, const std::vector<ValueId> &wrt,
                            const GradCheckValues &values, uint64_t seed, std::string label,
                            double step = kGradCheckStep);

} // namespace kiln
