// Test helpers: assemble a training-step graph (loss -> gradients -> optimizer update ->
// step <- step + 1) and run it repeatedly on the interpreter, carrying state from one
// step to the next as the runtime does.
#pragma once

#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"
#include "kiln/passes/Autodiff.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/optim/Optimizer.h"

#include <string_view>
#include <vector>

namespace kiln::test {

/// Differentiates `loss` with respect to `params`, appends the optimizer update with
/// learning rate input "lr" (f32[]), and increments the step counter once. Returns lr.
inline ValueId assembleTrainStep(Graph &graph, ValueId loss, const std::vector<ValueId> &params,
                                 const OptimizerConfig &config) {
  std::vector<ValueId> grads = differentiate(graph, loss, params);
  std::vector<std::pair<ValueId, ValueId>> paramGrads;
  for (size_t i = 0; i < params.size(); ++i)
    paramGrads.emplace_back(params[i], grads[i]);
  ValueId lr = graph.addInput("lr", {DType::F32, {}});
  buildOptimizerUpdate(graph, config, paramGrads, lr);
  IRBuilder b(graph, "step");
  ValueId step = stepCounter(graph);
  graph.addUpdate(step, b.add(step, b.constant(1, DType::I32)));
  return lr;
}

/// Runs a step graph on the interpreter, feeding each step's updates back as state.
class StepRunner {
public:
  StepRunner(const Graph &graph, std::vector<Tensor> state)
      : graph_(graph), interp_(graph), stateIds_(graph.states()), state_(std::move(state)) {}

  /// One step; `inputs` in graph.inputs() order. Returns the outputs.
  std::vector<Tensor> step(const std::vector<Tensor> &inputs) {
    Interpreter::Result result = interp_.run(inputs, state_);
    for (size_t u = 0; u < graph_.updates().size(); ++u)
      state_[indexOf(graph_.updates()[u].state)] = result.updates[u];
    return result.outputs;
  }

  Tensor &state(std::string_view name) {
    auto id = graph_.findNamed(name);
    if (!id)
      fail("no state '{}'", name);
    return state_[indexOf(*id)];
  }

private:
  size_t indexOf(ValueId id) const {
    for (size_t i = 0; i < stateIds_.size(); ++i)
      if (stateIds_[i] == id)
        return i;
    fail("%{} is not state", id);
  }

  const Graph &graph_;
  Interpreter interp_;
  std::vector<ValueId> stateIds_;
  std::vector<Tensor> state_;
};

/// A tensor of `type` holding `values` (converted to its dtype).
inline Tensor tensorOf(Type type, const std::vector<double> &values) {
  Tensor t(std::move(type));
  if (static_cast<int64_t>(values.size()) != t.numElements())
    fail("tensorOf: {} values for {}", values.size(), t.type().str());
  for (size_t i = 0; i < values.size(); ++i)
    t.set(static_cast<int64_t>(i), values[i]);
  return t;
}

inline Tensor scalarOf(float value) { return tensorOf({DType::F32, {}}, {value}); }

} // namespace kiln::test
