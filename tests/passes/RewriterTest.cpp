// GraphRewriter and rebuildGraph: a rebuild keeps names, scopes, attributes, outputs,
// updates and the order of inputs and state; replacements and dropped nodes go through
// the value map.
#include "kiln/passes/Rewriter.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Printer.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

const char *kText = R"(graph @rw {
  input %x : f32[4] @in
  state %w : f32[4] {init = "zeros"} @layer
  %0 = mul(%x, %w) : f32[4] @layer
  input %lr : f32[] @optim
  state %unused : i32[] {init = "zeros"}
  %1 = broadcast(%lr) {dims = [], shape = [4]} : f32[4] @optim
  %2 = sub(%w, %1) : f32[4] @optim
  %3 = neg(%0) : f32[4] @dead
  output y = %0
  update %w <- %2
})";

} // namespace

TEST_CASE("a rebuild without rewrites reproduces the graph", "[passes]") {
  Graph graph = parseGraph(kText);
  Graph copy = rebuildGraph(graph, nullptr);
  CHECK(printGraph(copy) == printGraph(graph));
}

TEST_CASE("a rebuild replaces and drops nodes but keeps every input and state in order",
          "[passes]") {
  Graph graph = parseGraph(kText);
  Graph result = rebuildGraph(
      graph,
      [](GraphRewriter &rw, ValueId old) -> std::optional<ValueId> {
        const Node &node = rw.source().node(old);
        if (node.op == OpKind::Mul) // x*w -> x+w, with the node's scope
          return rw.add(OpKind::Add, {rw.mapped(node.operands[0]), rw.mapped(node.operands[1])}, {},
                        node.scope);
        return std::nullopt;
      },
      [&](ValueId id) { return graph.node(id).op != OpKind::Neg; });
  CHECK(printGraph(result) == "graph @rw {\n"
                              "  input %x : f32[4] @in\n"
                              "  state %w : f32[4] {init = \"zeros\"} @layer\n"
                              "  input %lr : f32[] @optim\n"
                              "  state %unused : i32[] {init = \"zeros\"}\n"
                              "  %0 = add(%x, %w) : f32[4] @layer\n"
                              "  %1 = broadcast(%lr) {dims = [], shape = [4]} : f32[4] @optim\n"
                              "  %2 = sub(%w, %1) : f32[4] @optim\n"
                              "  output y = %0\n"
                              "  update %w <- %2\n"
                              "}\n");
  std::vector<std::string> inputs, states;
  for (ValueId id : result.inputs())
    inputs.push_back(result.node(id).name);
  for (ValueId id : result.states())
    states.push_back(result.node(id).name);
  CHECK(inputs == std::vector<std::string>{"x", "lr"});
  CHECK(states == std::vector<std::string>{"w", "unused"});
  // x, w, add, lr, unused, broadcast, sub in node order.
  CHECK(useCounts(result) == std::vector<int>{1, 2, 1, 1, 0, 1, 1});
}
