// rebuild and shrink (see the header). Candidates are tried greedily, outputs first,
// then nodes from the last to the first, and the passes repeat while one succeeds.
#include "GraphShrinker.h"

#include <fmt/format.h>

#include <set>

namespace kiln::test {

namespace {

ValueId follow(const std::map<ValueId, ValueId> &bypass, ValueId v) {
  for (auto it = bypass.find(v); it != bypass.end(); it = bypass.find(v))
    v = it->second;
  return v;
}

} // namespace

TestGraph rebuild(const TestGraph &test, const std::vector<bool> &keepOutput,
                  const std::vector<ValueId> &cut, const std::map<ValueId, ValueId> &bypass) {
  const Graph &g = test.graph;
  std::set<ValueId> cuts(cut.begin(), cut.end());
  // Live values: what the kept outputs reach, stopping at cuts.
  std::vector<bool> live(g.size(), false);
  std::vector<ValueId> work;
  for (size_t k = 0; k < g.outputs().size(); ++k)
    if (keepOutput[k])
      work.push_back(follow(bypass, g.outputs()[k].value));
  while (!work.empty()) {
    ValueId v = work.back();
    work.pop_back();
    if (live[size_t(v)])
      continue;
    live[size_t(v)] = true;
    if (!cuts.count(v))
      for (ValueId operand : g.node(v).operands)
        work.push_back(follow(bypass, operand));
  }

  std::vector<Facts> facts = analyze(test);
  TestGraph out;
  out.graph.setName(g.name());
  std::vector<ValueId> remap(g.size(), -1);
  for (ValueId v = 0; v < ValueId(g.size()); ++v) {
    if (!live[size_t(v)])
      continue;
    const Node &node = g.node(v);
    if (node.op == OpKind::Input || cuts.count(v)) {
      std::string name = node.op == OpKind::Input ? node.name : fmt::format("cut{}", v);
      remap[size_t(v)] = out.graph.addInput(name, node.type);
      out.inputFacts[name] = node.op == OpKind::Input ? test.inputFacts.at(name) : facts[size_t(v)];
      continue;
    }
    std::vector<ValueId> operands;
    for (ValueId operand : node.operands)
      operands.push_back(remap[size_t(follow(bypass, operand))]);
    remap[size_t(v)] = out.graph.add(node.op, operands, node.attrs, node.scope);
  }
  for (size_t k = 0; k < g.outputs().size(); ++k)
    if (keepOutput[k])
      out.graph.addOutput(g.outputs()[k].name, remap[size_t(follow(bypass, g.outputs()[k].value))]);
  return out;
}

TestGraph shrink(const TestGraph &failing, const std::function<bool(const TestGraph &)> &fails,
                 int attempts) {
  TestGraph best = failing;
  auto attempt = [&](const TestGraph &candidate) {
    if (attempts <= 0)
      return false;
    --attempts;
    if (!fails(candidate))
      return false;
    best = candidate;
    return true;
  };
  // Outputs: drop each while another remains.
  for (size_t k = best.graph.outputs().size(); k-- > 0 && best.graph.outputs().size() > 1;) {
    std::vector<bool> keep(best.graph.outputs().size(), true);
    keep[k] = false;
    attempt(rebuild(best, keep));
  }
  // Nodes: bypass or cut each, last first; repeat while something shrinks.
  for (bool changed = true; changed && attempts > 0;) {
    changed = false;
    std::vector<bool> all(best.graph.outputs().size(), true);
    for (ValueId v = ValueId(best.graph.size()); v-- > 0 && attempts > 0;) {
      if (v >= ValueId(best.graph.size()))
        continue;                           // the last success made the graph smaller
      const Node node = best.graph.node(v); // a copy: `best` changes under the loop
      if (node.op == OpKind::Input)
        continue;
      bool done = false;
      for (ValueId operand : node.operands)
        if (!done && best.graph.type(operand) == node.type)
          done = attempt(rebuild(best, all, {}, {{v, operand}}));
      if (!done && !node.operands.empty())
        done = attempt(rebuild(best, all, {v}));
      changed |= done;
    }
  }
  return best;
}

} // namespace kiln::test
