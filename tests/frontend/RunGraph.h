// Helpers of the frontend's numeric tests: tensors from literal values, seeded
// pseudo-random values, and running a traced graph in the reference interpreter with
// inputs and state given by name.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"
#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

namespace kiln::test {

inline Tensor tensor(Type type, const std::vector<double> &values) {
  Tensor t(std::move(type));
  REQUIRE(static_cast<int64_t>(values.size()) == t.numElements());
  for (size_t i = 0; i < values.size(); ++i)
    t.set(static_cast<int64_t>(i), values[i]);
  return t;
}

/// Seeded values in [-1, 1): deterministic across platforms.
inline std::vector<double> pseudoRandom(int64_t n, uint32_t seed) {
  std::vector<double> v;
  uint32_t s = seed;
  for (int64_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    v.push_back(static_cast<double>(s >> 8) / double(1 << 23) - 1.0);
  }
  return v;
}

/// Runs `g` with its outputs `names`: inputs by name, state by name (missing state is
/// filled from its init attribute: zeros or ones, or seeded values for "uniform").
inline std::map<std::string, Tensor> run(const Graph &g,
                                         const std::map<std::string, Tensor> &inputs,
                                         const std::map<std::string, Tensor> &state = {}) {
  std::vector<Tensor> in, st;
  for (ValueId id : g.inputs())
    in.push_back(inputs.at(g.node(id).name));
  uint32_t seed = 1;
  for (ValueId id : g.states()) {
    const Node &n = g.node(id);
    if (auto it = state.find(n.name); it != state.end()) {
      st.push_back(it->second);
      continue;
    }
    std::string init = n.attrs.getString("init");
    if (init == "uniform") {
      std::vector<double> v = pseudoRandom(n.type.numElements(), seed++);
      for (double &x : v)
        x *= n.attrs.getFloat("bound");
      st.push_back(tensor(n.type, v));
    } else {
      st.push_back(Tensor::full(n.type, init == "ones" ? 1.0 : 0.0));
    }
  }
  Interpreter interp(g);
  Interpreter::Result r = interp.run(in, st);
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < g.outputs().size(); ++i)
    out[g.outputs()[i].name] = r.outputs[i];
  for (size_t i = 0; i < g.updates().size(); ++i)
    out[g.node(g.updates()[i].state).name + "'"] = r.updates[i];
  return out;
}
} // namespace kiln::test
