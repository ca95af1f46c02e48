// Helpers shared by the pass tests: seeded arguments for a step graph, and tolerant
// comparison of the tensors two executions return.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/Tensor.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace kiln::test {

inline Tensor uniformTensor(const Type &type, std::mt19937 &rng, double lo, double hi) {
  std::uniform_real_distribution<double> dist(lo, hi);
  Tensor t(type);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, dist(rng));
  return t;
}

/// Seeded arguments: float inputs uniform in [-1, 1), "lr" 1e-3, integer inputs uniform
/// below the depth of the one_hot that reads them (labels).
inline std::vector<Tensor> randomInputs(const Graph &graph, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Tensor> inputs;
  for (ValueId id : graph.inputs()) {
    const Node &node = graph.node(id);
    if (node.name == "lr") {
      inputs.push_back(Tensor::full(node.type, 1e-3));
    } else if (isFloat(node.type.dtype)) {
      inputs.push_back(uniformTensor(node.type, rng, -1.0, 1.0));
    } else {
      int64_t depth = 2;
      for (const Node &user : graph.nodes())
        if (user.op == OpKind::OneHot && user.operands[0] == id)
          depth = user.attrs.getInt("depth");
      std::uniform_int_distribution<int64_t> dist(0, depth - 1);
      Tensor t(node.type);
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.set(i, static_cast<double>(dist(rng)));
      inputs.push_back(t);
    }
  }
  return inputs;
}

/// The state's initializers, with optimizer moments made non-zero and the step counter
/// at 3, so every term of an update is exercised.
inline std::vector<Tensor> randomState(const Graph &graph, uint32_t seed) {
  std::vector<Tensor> state = initialStates(graph, seed);
  std::mt19937 rng(seed + 1);
  std::vector<ValueId> ids = graph.states();
  auto endsWith = [](const std::string &s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (size_t i = 0; i < ids.size(); ++i) {
    const Node &node = graph.node(ids[i]);
    if (endsWith(node.name, ".exp_avg") || endsWith(node.name, ".momentum_buffer"))
      state[i] = uniformTensor(node.type, rng, -1e-2, 1e-2);
    else if (endsWith(node.name, ".exp_avg_sq") || endsWith(node.name, ".square_avg"))
      state[i] = uniformTensor(node.type, rng, 0.0, 1e-4);
    else if (node.name == "step")
      state[i] = Tensor::full(node.type, 3);
  }
  return state;
}

/// Elementwise |a - b| <= atol + rtol * |b|, with the first mismatch in the message.
inline void requireClose(const Tensor &a, const Tensor &b, const std::string &what,
                         double rtol = 1e-4, double atol = 1e-5) {
  INFO(what);
  REQUIRE(a.type() == b.type());
  for (int64_t i = 0; i < a.numElements(); ++i) {
    double x = a.at(i), y = b.at(i);
    if (std::isnan(x) && std::isnan(y))
      continue;
    if (!(std::abs(x - y) <= atol + rtol * std::abs(y))) {
      INFO("element " << i << ": " << x << " vs " << y);
      REQUIRE(std::abs(x - y) <= atol + rtol * std::abs(y));
    }
  }
}

} // namespace kiln::test
