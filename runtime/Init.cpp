#include "kiln/runtime/Init.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/Random.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace kiln {

namespace {
/// A stream number per state that survives adding other state: a hash of its name.
uint64_t streamOf(const Node &node) { return std::hash<std::string>{}(node.name); }
} // namespace

Tensor initialState(const Graph &graph, ValueId id, uint64_t seed) {
  const Node &node = graph.node(id);
  Tensor t(node.type);
  std::string rule = node.attrs.getString("init", "zeros");
  uint64_t stream = streamOf(node);
  int64_t n = t.numElements();
  if (rule == "zeros") {
    // Tensor storage starts zeroed.
  } else if (rule == "ones" || rule == "constant") {
    double value = rule == "ones" ? 1.0 : node.attrs.getFloat("value");
    for (int64_t i = 0; i < n; ++i)
      t.set(i, value);
  } else if (rule == "uniform") {
    double bound = node.attrs.getFloat("bound");
    for (int64_t i = 0; i < n; ++i)
      t.set(i, (2.0 * uniformFloat(seed, stream, static_cast<uint64_t>(i)) - 1.0) * bound);
  } else if (rule == "normal") {
    double stddev = node.attrs.getFloat("std");
    // Box-Muller over pairs of counter-based uniforms.
    for (int64_t i = 0; i < n; ++i) {
      double u1 = 1.0 - uniformFloat(seed, stream, 2 * static_cast<uint64_t>(i));
      double u2 = uniformFloat(seed, stream, 2 * static_cast<uint64_t>(i) + 1);
      t.set(i, stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
    }
  } else {
    fail("state '{}': unknown init '{}' (uniform, normal, zeros, ones, constant)", node.name,
         rule);
  }
  return t;
}

std::vector<Tensor> initialStates(const Graph &graph, uint64_t seed) {
  std::vector<Tensor> states;
  for (ValueId id : graph.states())
    states.push_back(initialState(graph, id, seed));
  return states;
}

std::vector<Tensor> syntheticInputs(const Graph &graph, int64_t classes, uint64_t seed) {
  std::vector<Tensor> inputs;
  for (ValueId id : graph.inputs()) {
    const Node &node = graph.node(id);
    Tensor t = Tensor::uninitialized(node.type);
    for (int64_t i = 0; i < t.numElements(); ++i) {
      double u = uniformFloat(seed, inputs.size(), uint64_t(i));
      t.set(i, node.name == "lr"          ? 1e-3
               : isFloat(node.type.dtype) ? u
                                          : std::floor(u * double(std::max<int64_t>(classes, 1))));
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

} // namespace kiln
