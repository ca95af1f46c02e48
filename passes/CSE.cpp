// cse: common subexpression elimination.
//
// Algorithm:
//   1. Rebuild the graph in order; operands are already merged, so equal subtrees
//      collapse bottom-up in one sweep.
//   2. Key each computation by (op, operands, attributes, type). The operands of
//      commutative ops (add, mul, max, min: exact in IEEE arithmetic) are sorted first.
//   3. A key seen before maps the node to the earlier value. Inputs and state are never
//      merged (each is an argument of the step); random_uniform nodes with the same
//      counter and seed draw the same numbers (DESIGN §5), so merging them is exact.
#include "kiln/passes/CSE.h"

#include "kiln/passes/Rewriter.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace kiln {

namespace {

bool commutative(OpKind op) {
  return op == OpKind::Add || op == OpKind::Mul || op == OpKind::Max || op == OpKind::Min;
}

std::string key(const Node &node, std::vector<ValueId> operands) {
  if (commutative(node.op))
    std::sort(operands.begin(), operands.end());
  return fmt::format("{}({}){}:{}", mnemonic(node.op), fmt::join(operands, ","),
                     formatAttrs(node.attrs), node.type.str());
}

} // namespace

bool eliminateCommonSubexpressions(Graph &graph, PassContext &context) {
  std::unordered_map<std::string, ValueId> seen;
  int64_t merged = 0;
  Graph result = rebuildGraph(graph, [&](GraphRewriter &rw, ValueId old) -> std::optional<ValueId> {
    const Node &node = rw.source().node(old);
    std::vector<ValueId> operands;
    for (ValueId v : node.operands)
      operands.push_back(rw.mapped(v));
    std::string k = key(node, operands);
    auto it = seen.find(k);
    if (it != seen.end()) {
      ++merged;
      return it->second;
    }
    seen.emplace(std::move(k), rw.copy(old));
    return rw.mapped(old);
  });
  context.count("nodes merged", merged);
  if (merged)
    graph = std::move(result);
  return merged > 0;
}

} // namespace kiln
