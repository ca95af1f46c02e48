// Gradient checks by central differences.
//
// For a graph G with scalar f64 loss L and f64 inputs/state w:
//   1. Copy G, append the gradient nodes (differentiate) and run it once on the
//      interpreter: the analytic gradients g = dL/dw.
//   2. For every element w_i: run G with w_i + h and w_i - h; the numeric gradient is
//      n_i = (L(w_i + h) - L(w_i - h)) / (2h), the truncation error O(h^2).
//   3. Compare g_i and n_i (abs and relative error, see GradCheckRow).
#include "kiln/runtime/gradcheck/GradCheck.h"

#include "kiln/ir/Error.h"
#include "kiln/passes/Autodiff.h"
#include "kiln/runtime/gradcheck/OpCases.h"
#include "kiln/runtime/gradcheck/Sampler.h"
#include "kiln/runtime/interp/Interpreter.h"

#include <algorithm>
#include <cmath>

namespace kiln {

namespace {

using gradcheck::Sampler;

/// The seeded value of an input or state that was not given.
Tensor drawValue(const Node &node, Sampler &rng) {
  switch (node.type.dtype) {
  case DType::F32:
    return rng.uniform(node.type.shape).converted(DType::F32);
  case DType::F64:
    return rng.uniform(node.type.shape);
  case DType::Bool:
    return rng.booleans(node.type.shape);
  case DType::I32:
    break;
  }
  fail("gradcheck: give the values of i32 {} '{}' ({}): no default range fits indices",
       mnemonic(node.op), node.name, node.type.str());
}

void checkArguments(const Graph &graph, ValueId loss, const std::vector<ValueId> &wrt,
                    const std::string &label) {
  auto defined = [&](ValueId v) { return v >= 0 && static_cast<size_t>(v) < graph.size(); };
  if (!defined(loss) || graph.type(loss) != Type{DType::F64, {}})
    fail("gradcheck '{}': the loss must be an f64[] value of the graph", label);
  for (ValueId v : wrt) {
    if (!defined(v) || (graph.node(v).op != OpKind::Input && graph.node(v).op != OpKind::State))
      fail("gradcheck '{}': %{} is not an input or state of the graph", label, v);
    if (graph.type(v).dtype != DType::F64)
      fail("gradcheck '{}': '{}' is {}; checks run in f64", label, graph.node(v).name,
           graph.type(v).str());
  }
}

} // namespace

GradCheckRow gradCheckGraph(const Graph &graph, ValueId loss, const std::vector<ValueId> &wrt,
                            uint64_t seed, std::string label) {
  return gradCheckGraph(graph, loss, wrt, {}, seed, std::move(label));
}

GradCheckRow gradCheckGraph(const Graph &graph, ValueId loss, const std::vector<ValueId> &wrt,
                            const GradCheckValues &values, uint64_t seed, std::string label,
                            double step) {
  checkArguments(graph, loss, wrt, label);

  // The forward graph computes just the loss; the backward one also the gradients.
  Graph forward = graph;
  forward.mutableOutputs().clear();
  forward.mutableUpdates().clear();
  forward.addOutput("loss", loss);
  Graph backward = forward;
  std::vector<ValueId> grads = differentiate(backward, loss, wrt);
  for (size_t k = 0; k < grads.size(); ++k)
    backward.addOutput("grad" + std::to_string(k), grads[k]);

  // Arguments: given values (cloned, since the differences edit them in place) or draws.
  Sampler rng(seed, /*stream=*/0);
  std::vector<Tensor> inputs, state;
  std::vector<Tensor *> slots(graph.size(), nullptr);
  for (ValueId v : graph.inputs())
    inputs.push_back(values.count(v) ? values.at(v).clone() : drawValue(graph.node(v), rng));
  for (ValueId v : graph.states())
    state.push_back(values.count(v) ? values.at(v).clone() : drawValue(graph.node(v), rng));
  for (size_t i = 0; i < inputs.size(); ++i)
    slots[static_cast<size_t>(graph.inputs()[i])] = &inputs[i];
  for (size_t i = 0; i < state.size(); ++i)
    slots[static_cast<size_t>(graph.states()[i])] = &state[i];

  std::vector<Tensor> analytic = Interpreter(backward).run(inputs, state).outputs;
  Interpreter evaluate(forward);
  auto lossAt = [&] { return evaluate.run(inputs, state).outputs[0].at(0); };

  GradCheckRow row{std::move(label), "", 0.0, 0.0, true};
  for (size_t k = 0; k < wrt.size(); ++k) {
    row.shapes += (k ? ", " : "") + graph.type(wrt[k]).str();
    Tensor &value = *slots[static_cast<size_t>(wrt[k])];
    const Tensor &gradient = analytic[k + 1];
    for (int64_t i = 0; i < value.numElements(); ++i) {
      double original = value.at(i);
      double up = original + step, down = original - step;
      value.set(i, up);
      double lossUp = lossAt();
      value.set(i, down);
      double lossDown = lossAt();
      value.set(i, original);
      double numeric = (lossUp - lossDown) / (up - down);
      double exact = gradient.at(i);
      double absError = std::abs(numeric - exact);
      double relError = absError / std::max({std::abs(numeric), std::abs(exact), 1.0});
      if (std::isnan(absError)) // NaN compares false: make it fail loudly
        absError = relError = INFINITY;
      row.maxAbsError = std::max(row.maxAbsError, absError);
      row.maxRelError = std::max(row.maxRelError, relError);
    }
  }
  row.passed = row.maxRelError <= kGradCheckTolerance;
  return row;
}

std::vector<GradCheckRow> gradCheckOpCases(OpKind op, uint64_t seed) {
  if (!opInfo(op).differentiable)
    fail("gradcheck: op '{}' has no gradient", mnemonic(op));
  // One stream per op: an op's values do not depend on which other ops are checked.
  Sampler rng(seed, /*stream=*/1 + static_cast<uint64_t>(op));
  std::vector<gradcheck::OpCase> cases = gradcheck::opCases(op, rng);
  if (cases.empty())
    fail("gradcheck: op '{}' is differentiable but has no check cases", mnemonic(op));
  std::vector<GradCheckRow> rows;
  for (const gradcheck::OpCase &c : cases) {
    GradCheckRow row = gradCheckGraph(c.graph, c.loss, c.wrt, c.values, seed, c.label, c.step);
    row.shapes = c.shapes;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<GradCheckRow> gradCheckOps(const std::vector<OpKind> &ops, uint64_t seed) {
  std::vector<OpKind> kinds = ops;
  if (kinds.empty())
    for (const OpInfo &info : kOpInfos)
      if (info.differentiable)
        kinds.push_back(info.kind);
  std::vector<GradCheckRow> rows;
  for (OpKind op : kinds) {
    std::vector<GradCheckRow> cases = gradCheckOpCases(op, seed);
    auto worst = std::max_element(cases.begin(), cases.end(), [](const auto &a, const auto &b) {
      return a.maxRelError < b.maxRelError;
    });
    GradCheckRow row{std::string(mnemonic(op)), worst->shapes, 0.0, 0.0, true};
    if (cases.size() > 1)
      row.shapes += " (+" + std::to_string(cases.size() - 1) + ")";
    for (const GradCheckRow &c : cases) {
      row.maxAbsError = std::max(row.maxAbsError, c.maxAbsError);
      row.maxRelError = std::max(row.maxRelError, c.maxRelError);
      row.passed = row.passed && c.passed;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

} // namespace kiln
