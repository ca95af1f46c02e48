// LoopNest: the loop-level form of a fused elementwise or reduction kernel, between the
// graph and LLVM IR. A kernel is a nest of counted loops; every index it uses (loads,
// the store, guards, iota positions, random counters) is affine in the loop variables,
// and its value is a small expression tree whose leaves are buffer loads and constants.
//
// Building a nest:
//   1. Evaluate the stage's value at the identity index of its loop dimensions; operands
//      not in memory at this stage are expanded in place (views rewrite the index:
//      broadcast drops or zeroes dimensions, transpose permutes them, slice scales and
//      shifts, pad adds a guard), those in memory become loads at their row-major offset.
//   2. Reductions order their loops: kept dimensions outermost unless the innermost
//      input dimension is kept (then the inner loop accumulates a vector of outputs).
//   3. Coalesce adjacent loops whenever every affine index agrees (coef[d] ==
//      coef[d+1] * size[d+1]), so [64,32,28,28] elementwise becomes one loop of 1.6M.
//   4. Sums and maxima then move every kept loop outside the reduced ones, except an
//      innermost kept loop, which stays innermost (its outputs accumulate side by side):
//      each output is then finished within one iteration of the kept loops, so it can
//      be accumulated in registers or a small tile, never in the output buffer.
#pragma once

#include "kiln/codegen/StepPlan.h"
#include "kiln/ir/Graph.h"

#include <cstdint>
#include <vector>

namespace kiln::codegen {

/// offset + sum over d of coef[d] * i_d, over a kernel's loop variables.
struct Affine {
  std::vector<int64_t> coef;
  int64_t offset = 0;
};

/// Valid when lo <= index < hi.
struct Guard {
  Affine index;
  int64_t lo, hi;
};

struct Expr {
  enum class Kind {
    Load,     ///< value's buffer at `index` (an element offset)
    Constant, ///< `constant` converted to dtype
    Iota,     ///< `index` converted to dtype
    Op,       ///< node `value`'s elementwise op over `operands`
    Random,   ///< uniformFloat(seed of node `value`, operands[0] as counter, `index`)
    OneHot,   ///< `index` == operands[0] ? 1 : 0, converted to dtype
    Pad,      ///< every guard holds ? operands[0] : constant
  };
  Kind kind;
  DType dtype;
  ValueId value = -1;
  Affine index{};
  double constant = 0;
  std::vector<int> operands{}; ///< indices into LoopNest::exprs
  std::vector<Guard> guards{};
};

struct LoopNest {
  enum class Combine { Store, Sum, Max, Argmax };

  std::vector<int64_t> sizes; ///< loop trip counts, outermost first
  std::vector<Expr> exprs;
  int root = -1; ///< the value computed per iteration
  Combine combine = Combine::Store;
  ValueId target = -1; ///< the value whose buffer is written
  DType targetType = DType::F32;
  Affine store;      ///< element offset written (0 on reduced loops)
  /// Store: more values computed and stored in the same iteration, after `root` (same
  /// loop space, so the same element offset `store`).
  struct Also {
    int root;
    ValueId target;
    DType type;
  };
  std::vector<Also> also;
  bool mean = false; ///< divide sums by `count` at the end
  int64_t count = 1; ///< elements reduced into each output
  /// The outermost loop is split into items of `rowsPerItem` iterations.
  int64_t rowsPerItem = 1, items = 1;
  /// Sum and Max: loops [0, keptLoops) are kept, the loops after them reduced, except
  /// the innermost when `keptInnermost` (a row of outputs accumulated together).
  size_t keptLoops = 0;
  bool keptInnermost = false;
};

/// The loop nest of Loop, ConcatPart or Reduce stage `stage` of `plan`, with items sized
/// for its workers. Expr::Load's value is the value whose buffer (at that stage) is read.
LoopNest buildLoopNest(const Graph &graph, const StepPlan &plan, size_t stage);

} // namespace kiln::codegen
