// constfold: evaluates constant subgraphs with the interpreter's kernels.
#pragma once

#include "kiln/passes/PassManager.h"

namespace kiln {

/// Largest folded result kept as a `data` constant; bigger non-uniform results are left
/// to run at step time, so folding never bloats the graph.
inline constexpr int64_t kMaxFoldedElements = 1024;
/// Largest operand a fold evaluates (bounds the time folding may take).
inline constexpr int64_t kMaxFoldInputElements = int64_t(1) << 16;

/// Replaces every computation whose operands are all constants by a constant: a splat
/// when every element is the same (splats stay splats at any size), a `data` constant of
/// at most kMaxFoldedElements elements otherwise. Returns whether it changed `graph`.
bool constantFold(Graph &graph, PassContext &context);

} // namespace kiln
