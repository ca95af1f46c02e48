// Helpers of the JIT tests: seeded random arguments for a graph, and the differential
// check that runs a graph on the JIT and on the interpreter (the oracle) and compares
// every output and update element by element.
#pragma once

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"

#include <string>
#include <vector>

namespace kiln::test {

/// How random arguments are drawn: floats uniform in [lo, hi), ints in [0, intLimit),
/// bools fair; `specials` puts NaN, +-inf, +-0 and ties into float arguments.
struct ValueDomain {
  double lo = -1, hi = 1;
  int64_t intLimit = 10;
  bool specials = false;
};

/// Seeded values of `type` from `domain` (stream `stream` of `seed`).
Tensor randomTensor(const Type &type, uint64_t seed, uint64_t stream, const ValueDomain &domain);

/// JIT options for tests: no disk cache.
codegen::JitOptions testJitOptions();

/// Random arguments: one tensor per graph input, then one per state.
struct Arguments {
  std::vector<Tensor> inputs, state;
};
Arguments randomArguments(const Graph &graph, uint64_t seed, const ValueDomain &domain);

/// |jit - interp| <= rtol * (|interp| + scale), where scale is the largest |interp| of the
/// tensor (so one tolerance fits results of any magnitude); NaN matches NaN, infinities
/// must match exactly, ints and bools exactly. Returns "" or a description of the
/// worst element.
std::string compareTensors(const Tensor &jit, const Tensor &interp, double rtol);

/// ||jit - interp|| / ||interp|| (2-norms), or "" when within `rtol`; ints and bools
/// must match exactly. For whole parameter tensors after many optimizer steps, where
/// Adam turns rounding differences of near-zero gradients into small steps of single
/// elements.
std::string compareNorms(const Tensor &jit, const Tensor &interp, double rtol);

/// Compiles `graph` with the JIT (no disk cache), runs it and the interpreter on `args`,
/// and REQUIREs every output and update to agree within `rtol`, reporting `label` and the
/// seed on failure.
void checkAgainstInterpreter(const Graph &graph, const Arguments &args, double rtol,
                             const std::string &label,
                             const codegen::JitOptions &options = testJitOptions());

} // namespace kiln::test
