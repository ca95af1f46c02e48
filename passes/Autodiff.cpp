// Reverse-mode automatic differentiation.
//
// Algorithm:
//   1. Forward sweep: mark the values that depend on some wrt value through edges a
//      gradient can cross (passesGradient).
//   2. Backward sweep from the loss over the marked values: keep those the loss depends
//      on. A value is *active* when it is in both sets; only active values get gradients,
//      so frozen parameters and side computations (metrics) cost nothing.
//   3. Seed dL/dL = 1 and visit the active nodes in reverse order. The graph is
//      topologically ordered, so when node u is visited every user of u has already
//      contributed to dL/du. Apply u's gradient rule (GradRules.cpp) for its active
//      operands and sum the contributions of a value used more than once.
//   4. Return dL/dv for each wrt value; a zero constant when nothing reached it.
#include "kiln/passes/Autodiff.h"

#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"
#include "kiln/passes/GradRules.h"

#include <cassert>
#include <optional>

namespace kiln {

namespace {

std::string gradScope(const std::string &scope) { return scope.empty() ? "grad" : scope + "/grad"; }

void checkArguments(const Graph &graph, ValueId loss, const std::vector<ValueId> &wrt) {
  auto defined = [&](ValueId v) { return v >= 0 && static_cast<size_t>(v) < graph.size(); };
  if (!defined(loss))
    fail("differentiate: the loss %{} is not a value of graph @{}", loss, graph.name());
  const Type &lossType = graph.type(loss);
  if (!isFloat(lossType.dtype) || lossType.rank() != 0)
    fail("differentiate: the loss must be a float scalar (f32[] or f64[]), got {}{}",
         lossType.str(), graph.node(loss).scope.empty() ? "" : " @" + graph.node(loss).scope);
  for (ValueId v : wrt) {
    if (!defined(v))
      fail("differentiate: %{} is not a value of graph @{}", v, graph.name());
    if (!isFloat(graph.type(v).dtype))
      fail("differentiate: cannot differentiate with respect to {} value{}", graph.type(v).str(),
           graph.node(v).name.empty() ? "" : " '" + graph.node(v).name + "'");
  }
}

} // namespace

std::vector<ValueId> differentiate(Graph &graph, ValueId loss, const std::vector<ValueId> &wrt) {
  checkArguments(graph, loss, wrt);
  // Nodes after the loss cannot affect it.
  size_t count = static_cast<size_t>(loss) + 1;

  // 1. Values reachable from some wrt value.
  std::vector<char> fromWrt(count, 0);
  for (ValueId v : wrt)
    if (v <= loss)
      fromWrt[static_cast<size_t>(v)] = 1;
  for (size_t u = 0; u < count; ++u) {
    const Node &node = graph.node(static_cast<ValueId>(u));
    for (size_t k = 0; k < node.operands.size() && !fromWrt[u]; ++k)
      fromWrt[u] = fromWrt[static_cast<size_t>(node.operands[k])] && passesGradient(graph, node, k);
  }

  // 2. Of those, the ones the loss depends on.
  std::vector<char> active(count, 0);
  active[count - 1] = fromWrt[count - 1];
  for (size_t u = count; u-- > 0;) {
    if (!active[u])
      continue;
    const Node &node = graph.node(static_cast<ValueId>(u));
    for (size_t k = 0; k < node.operands.size(); ++k) {
      auto v = static_cast<size_t>(node.operands[k]);
      if (fromWrt[v] && passesGradient(graph, node, k))
        active[v] = 1;
    }
  }

  // 3. The reverse sweep.
  std::vector<std::optional<ValueId>> grads(count);
  auto accumulate = [&](ValueId v, ValueId contribution) {
    std::optional<ValueId> &slot = grads[static_cast<size_t>(v)];
    assert(graph.type(contribution) == graph.type(v) && "gradient rule returned a wrong type");
    if (!slot) {
      slot = contribution;
      return;
    }
    IRBuilder b(graph, gradScope(graph.node(v).scope));
    slot = b.add(*slot, contribution);
  };
  if (active[count - 1]) {
    IRBuilder b(graph, gradScope(graph.node(loss).scope));
    grads[count - 1] = b.constantLike(1.0, loss);
  }
  for (size_t u = count; u-- > 0;) {
    if (!active[u] || !grads[u])
      continue;
    Node node = graph.node(static_cast<ValueId>(u)); // a copy: rules append nodes
    std::vector<bool> needed(node.operands.size());
    bool any = false;
    for (size_t k = 0; k < node.operands.size(); ++k) {
      needed[k] = active[static_cast<size_t>(node.operands[k])] && passesGradient(graph, node, k);
      any = any || needed[k];
    }
    if (!any)
      continue;
    IRBuilder b(graph, gradScope(node.scope));
    std::vector<std::optional<ValueId>> contributions =
        gradientRule(b, node, static_cast<ValueId>(u), *grads[u], needed);
    for (size_t k = 0; k < contributions.size(); ++k)
      if (contributions[k])
        accumulate(node.operands[k], *contributions[k]);
  }

  // 4. The results, in the order asked.
  std::vector<ValueId> result;
  result.reserve(wrt.size());
  for (ValueId v : wrt) {
    if (v <= loss && grads[static_cast<size_t>(v)]) {
      result.push_back(*grads[static_cast<size_t>(v)]);
      continue;
    }
    IRBuilder b(graph, gradScope(graph.node(v).scope));
    result.push_back(b.constantLike(0.0, v));
  }
  return result;
}

} // namespace kiln
