// analyze and argumentsFor (see TestGraph.h).
#include "TestGraph.h"

#include "kiln/runtime/Random.h"

#include <algorithm>
#include <cmath>

namespace kiln::test {

namespace {

uint64_t nameHash(const std::string &name) { // FNV-1a: stable across builds
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : name)
    h = (h ^ uint8_t(c)) * 0x100000001b3ull;
  return h;
}

} // namespace

std::vector<Facts> analyze(const TestGraph &test) {
  const Graph &g = test.graph;
  std::vector<Facts> facts(g.size());
  for (ValueId id = 0; id < ValueId(g.size()); ++id) {
    const Node &node = g.node(id);
    if (node.op == OpKind::Input)
      facts[size_t(id)] = test.inputFacts.at(node.name);
    else
      facts[size_t(id)] = transfer(g, id, facts);
  }
  return facts;
}

Arguments argumentsFor(const TestGraph &test, uint64_t seed) {
  Arguments args;
  for (ValueId id : test.graph.inputs()) {
    const Node &node = test.graph.node(id);
    const Facts &f = test.inputFacts.at(node.name);
    Tensor t(node.type);
    uint64_t stream = nameHash(node.name);
    for (int64_t i = 0; i < t.numElements(); ++i) {
      double u = uniformFloat(seed, stream, uint64_t(i));
      switch (node.type.dtype) {
      case DType::F32:
      case DType::F64:
        t.set(i, f.lo + (f.hi - f.lo) * u);
        break;
      case DType::I32:
        t.set(i, std::min(f.hi, std::floor(f.lo + (f.hi - f.lo + 1) * u)));
        break;
      case DType::Bool:
        t.set(i, u < 0.5);
        break;
      }
    }
    args.inputs.push_back(std::move(t));
  }
  return args;
}

} // namespace kiln::test
