// The JIT's f32 sums against the exact (f64) sums of the same values: long reductions
// of uniform [0, 1) values, where adding each element to one running f32 sum drifts by
// about 1e-5 over 4M elements. Sums into one output, into a row of outputs (a reduced
// axis that is not the innermost) and over several axes must stay within 1e-6 of the
// exact result, as the interpreter's (f64-accumulated) sums do, whatever the thread count.
#include "JitTestUtil.h"

#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr double kTarget = 1e-6;

std::vector<int64_t> axes(std::initializer_list<int64_t> a) { return a; }

/// Sums of x over `reduced`, in f64 (exact to ~1e-10 for these sizes): the reference.
std::vector<double> exactSums(const Tensor &x, const std::vector<int64_t> &reduced) {
  const Shape &shape = x.shape();
  std::vector<int64_t> strides(shape.size(), 0);
  int64_t outputs = 1;
  for (size_t d = shape.size(); d-- > 0;)
    if (std::find(reduced.begin(), reduced.end(), int64_t(d)) == reduced.end()) {
      strides[d] = outputs;
      outputs *= shape[d];
    }
  std::vector<double> sums(static_cast<size_t>(outputs), 0.0);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int64_t out = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      out += index[d] * strides[d];
    sums[static_cast<size_t>(out)] += x.at(i);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return sums;
}

/// The largest |got - want| / |want| over the elements.
double worstRelativeError(const Tensor &got, const std::vector<double> &want, double scale) {
  double worst = 0;
  for (int64_t i = 0; i < got.numElements(); ++i)
    worst = std::max(worst, std::abs(got.at(i) - want[size_t(i)] * scale) /
                                std::abs(want[size_t(i)] * scale));
  return worst;
}

/// One reduction of the test graph and the f32 values it sums, laid out like its operand.
struct Reduction {
  std::string name;
  ValueId operand;
  std::vector<int64_t> axes;
  bool mean = false;
};

} // namespace

TEST_CASE("long f32 sums stay within 1e-6 of the exact sum", "[jit][reduce]") {
  Graph g("sums");
  // 4M elements; and 16384 rows of 96 columns summed down the rows.
  ValueId x = g.addInput("x", {DType::F32, {64, 8, 8192}});
  ValueId y = g.addInput("y", {DType::F32, {16384, 96}});
  // Fused operands: a transposed view (strided loads) and squares computed in the loop.
  ValueId transposed = g.add(OpKind::Transpose, {x}, {{"perm", axes({2, 1, 0})}});
  ValueId squares = g.add(OpKind::Mul, {x, x});
  std::vector<Reduction> reductions = {
      {"total", x, axes({0, 1, 2})}, // 4M elements into one output
      {"mean", x, axes({0, 1, 2}), true},
      {"transposed", transposed, axes({0, 1, 2})},
      {"squares", squares, axes({0, 1, 2})},
      {"rows", x, axes({2})},       // the innermost axis: 8192 per output
      {"planes", x, axes({0, 2})},  // an outer and the innermost axis: 524288 per output
      {"columns", x, axes({0, 1})}, // the outer axes into a row of 8192 outputs
      {"down", y, axes({0})},       // a non-innermost axis, 16384 per output
  };
  for (const Reduction &r : reductions)
    g.addOutput(r.name, g.add(r.mean ? OpKind::ReduceMean : OpKind::ReduceSum, {r.operand},
                              {{"axes", r.axes}}));
  ValueDomain unit;
  unit.lo = 0;
  unit.hi = 1;
  Arguments args = randomArguments(g, 2024, unit);
  // The operands' values as the graph sees them (the sum over all axes of the transposed
  // view is the sum of x; squares are rounded to f32 before they are added).
  Tensor squareValues = args.inputs[0].clone();
  for (int64_t i = 0; i < squareValues.numElements(); ++i)
    squareValues.set(i, double(float(squareValues.at(i) * squareValues.at(i))));
  auto valuesOf = [&](ValueId v) -> const Tensor & {
    return v == y ? args.inputs[1] : v == squares ? squareValues : args.inputs[0];
  };

  Interpreter::Result interp = Interpreter(g).run(args.inputs, args.state);
  std::vector<codegen::CompiledGraph::Result> runs;
  for (int threads : {1, 2}) {
    codegen::JitOptions options = testJitOptions();
    options.threads = threads;
    runs.push_back(codegen::CompiledGraph::compile(g, options)->run(args.inputs, args.state));
  }
  for (size_t k = 0; k < reductions.size(); ++k) {
    const Reduction &r = reductions[k];
    const Tensor &values = valuesOf(r.operand);
    std::vector<double> exact =
        exactSums(values, r.operand == transposed ? axes({0, 1, 2}) : r.axes);
    double scale = r.mean ? double(exact.size()) / double(values.numElements()) : 1.0;
    double jitError = worstRelativeError(runs[0].outputs[k], exact, scale);
    double interpError = worstRelativeError(interp.outputs[k], exact, scale);
    INFO(fmt::format("{}: jit relative error {:.3g}, interpreter {:.3g}", r.name, jitError,
                     interpError));
    CHECK(interpError <= kTarget);
    CHECK(jitError <= kTarget);
    // Deterministic: the same bits whatever the number of threads.
    CHECK(compareTensors(runs[1].outputs[k], runs[0].outputs[k], 0) == "");
  }
}
