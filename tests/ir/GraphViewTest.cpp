// The Boost.Graph view: topological order, cycle detection and Graphviz output.
#include "SampleGraphs.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/GraphView.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

using namespace kiln;

TEST_CASE("the topological order puts operands before users", "[ir][graphview]") {
  Graph g = test::allOpsGraph();
  std::vector<ValueId> order = topologicalOrder(g);
  REQUIRE(order.size() == g.size());
  std::vector<size_t> position(g.size());
  for (size_t i = 0; i < order.size(); ++i)
    position[static_cast<size_t>(order[i])] = i;
  std::vector<ValueId> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    CHECK(sorted[i] == static_cast<ValueId>(i)); // a permutation
  for (size_t v = 0; v < g.size(); ++v)
    for (ValueId operand : g.nodes()[v].operands)
      CHECK(position[static_cast<size_t>(operand)] < position[v]);
}

TEST_CASE("the topological order follows operands, not node order", "[ir][graphview]") {
  Graph g;
  ValueId x = g.addInput("x", {DType::F32, {2}});
  ValueId a = g.add(OpKind::Neg, {x});
  ValueId b = g.add(OpKind::Abs, {x});
  g.mutableNodes()[static_cast<size_t>(a)].operands = {b}; // a now needs b, defined after it
  std::vector<ValueId> order = topologicalOrder(g);
  CHECK(order == std::vector<ValueId>{x, b, a});
  CHECK(findCycle(g).empty());
}

TEST_CASE("a cycle is found and named", "[ir][graphview]") {
  Graph g;
  ValueId x = g.addInput("x", {DType::F32, {2}});
  ValueId a = g.add(OpKind::Neg, {x});
  ValueId b = g.add(OpKind::Abs, {a});
  ValueId c = g.add(OpKind::Exp, {b});
  g.mutableNodes()[static_cast<size_t>(a)].operands = {c};
  CHECK(findCycle(g) == std::vector<ValueId>{a, b, c});
  CHECK_THROWS_MATCHES(topologicalOrder(g), Error,
                       Catch::Message("the graph has a cycle: %0 -> %1 -> %2 -> %0"));
  g.mutableNodes()[static_cast<size_t>(a)].operands = {7};
  CHECK_THROWS_WITH(findCycle(g), Catch::Contains("operand 7 out of range"));
}

TEST_CASE("dot output labels values, marks inputs, state, outputs and updates, clusters scopes",
          "[ir][graphview]") {
  Graph g = test::trainStepGraph();
  std::ostringstream os;
  writeDot(os, g);
  std::string dot = os.str();
  INFO(dot);
  CHECK(dot.rfind("digraph G {", 0) == 0);
  CHECK(dot.find("label=\"graph @linreg.train\";") != std::string::npos);
  CHECK(dot.find("0[shape=invhouse, label=\"%x = input : f32[4,3]\"];") != std::string::npos);
  CHECK(dot.find("3[shape=cylinder, label=\"%fc.weight = state : f32[1,3]\\n@fc\"];") !=
        std::string::npos);
  CHECK(dot.find("4[shape=box, style=rounded, label=\"%0 = matmul : f32[4,1]\\n@fc\"];") !=
        std::string::npos);
  // matmul(%x, %fc.weight): edges from both operands
  CHECK(dot.find("0->4 ;") != std::string::npos);
  CHECK(dot.find("3->4 ;") != std::string::npos);
  // output loss (first output vertex, after the 12 values) and the update edge into w
  CHECK(dot.find("12[shape=house, style=bold, label=\"output loss\"];") != std::string::npos);
  CHECK(dot.find("subgraph \"cluster_loss\" {\nlabel=\"loss\";\n5;\n6;\n7;\n8;\n}") !=
        std::string::npos);
  CHECK(dot.find("11->3 [style=dashed, constraint=false, label=\"update\"];") != std::string::npos);
}
