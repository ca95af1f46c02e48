// Kernels that differ only in the buffers they touch share one compiled body: a kernel's
// body receives its buffers as pointer arguments, constant offsets (slices, concat parts,
// time steps) folded into them, so its text names no argument slot or arena offset.
#include "JitTestUtil.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/ir/Attrs.h"

#include <catch2/catch.hpp>

using namespace kiln;
using namespace kiln::test;

namespace {

Attrs sliceRows(int64_t begin, int64_t end, int64_t cols) {
  return {{"start", std::vector<int64_t>{begin, 0}}, {"limit", std::vector<int64_t>{end, cols}}};
}

} // namespace

TEST_CASE("kernels that differ only in their buffers share one body", "[jit][sharing]") {
  // Four time steps of h = tanh(x[t] + h): the same loop at four places of x.
  constexpr int64_t kSteps = 4, kWidth = 17;
  Graph g("steps");
  ValueId x = g.addInput("x", {DType::F32, {kSteps * 3, kWidth}});
  ValueId h = g.addState("h", {DType::F32, {3, kWidth}});
  std::vector<ValueId> outs;
  for (int64_t t = 0; t < kSteps; ++t) {
    ValueId xt = g.add(OpKind::Slice, {x}, sliceRows(3 * t, 3 * t + 3, kWidth));
    h = g.add(OpKind::Tanh, {g.add(OpKind::Add, {xt, h})});
    outs.push_back(h);
  }
  g.addOutput("y", g.add(OpKind::Concat, outs, {{"axis", int64_t(0)}}));
  g.addOutput("h", h);

  auto compiled = codegen::CompiledGraph::compile(g, testJitOptions());
  const codegen::CompileStats &stats = compiled->stats();
  INFO(stats.stages << " stages, " << stats.kernelBodies << " bodies");
  CHECK(stats.kernelBodies < stats.stages);
  // The steps' loops and the concat's parts each come down to one body (the last step
  // writes the output h directly, which the others do not).
  CHECK(stats.kernelBodies <= 4);
  checkAgainstInterpreter(g, randomArguments(g, 5, {}), 1e-6, "steps");
}

TEST_CASE("a kernel reading one tensor at two places stays correct", "[jit][sharing]") {
  // Two overlapping slices of x in one fused loop: two pointers into one buffer.
  Graph g("overlap");
  ValueId x = g.addInput("x", {DType::F32, {9, 5}});
  ValueId a = g.add(OpKind::Slice, {x}, sliceRows(1, 7, 5));
  ValueId b = g.add(OpKind::Slice, {x}, sliceRows(3, 9, 5));
  g.addOutput("y", g.add(OpKind::Mul, {a, b}));
  checkAgainstInterpreter(g, randomArguments(g, 9, {}), 0, "overlap");
}
