// The verifier on valid graphs and on graphs corrupted by hand through mutableNodes.
#include "SampleGraphs.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/Verifier.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

/// x : f32[2]; %0 = neg(x); %1 = abs(%0); %2 = exp(%1) @act; output y = %2.
Graph chain() {
  Graph g("chain");
  ValueId x = g.addInput("x", {DType::F32, {2}});
  ValueId a = g.add(OpKind::Neg, {x});
  ValueId b = g.add(OpKind::Abs, {a});
  ValueId c = g.add(OpKind::Exp, {b}, {}, "act");
  g.addOutput("y", c);
  return g;
}

void checkFails(const Graph &g, const std::string &message) {
  CHECK_THROWS_MATCHES(verify(g), Error, Catch::Message(message));
}

} // namespace

TEST_CASE("valid graphs verify", "[ir][verifier]") {
  CHECK_NOTHROW(verify(chain()));
  CHECK_NOTHROW(verify(test::allOpsGraph()));
  CHECK_NOTHROW(verify(test::trainStepGraph()));
  CHECK_NOTHROW(verify(Graph("empty")));
}

TEST_CASE("the verifier finds a cycle", "[ir][verifier]") {
  Graph g = chain();
  g.mutableNodes()[1].operands = {2}; // neg now reads abs, which reads neg
  checkFails(g, "%0 (neg): is on a cycle %0 -> %1 -> %0");

  Graph self = chain();
  self.mutableNodes()[3].operands = {3};
  checkFails(self, "%2 (exp) @act: is on a cycle %2 -> %2");
}

TEST_CASE("the verifier finds an operand used before its definition", "[ir][verifier]") {
  Graph g = chain();
  g.mutableNodes()[1].operands = {3}; // neg reads exp: defined later, but no cycle...
  g.mutableNodes()[3].operands = {0}; // ...once exp reads x
  checkFails(g, "%0 (neg): operand 0 (%2) is used before its definition");
}

TEST_CASE("the verifier finds a wrong type", "[ir][verifier]") {
  Graph g = chain();
  g.mutableNodes()[3].type = {DType::F64, {2}};
  checkFails(g, "%2 (exp) @act: has type f64[2] but its shape rule gives f32[2]");
}

TEST_CASE("the verifier re-runs the shape rules", "[ir][verifier]") {
  Graph g = test::trainStepGraph();
  for (Node &n : g.mutableNodes())
    if (n.op == OpKind::ReduceMean)
      n.attrs.set("axes", std::vector<int64_t>{0, 5});
  checkFails(g, "%3 (reduce_mean) @loss: shape rule fails: axis 5 out of range for rank 2");
}

TEST_CASE("the verifier checks attributes against the op's schema", "[ir][verifier]") {
  SECTION("an attribute the op does not take") {
    Graph g = chain();
    g.mutableNodes()[2].attrs.set("axis", int64_t{0});
    checkFails(g, "%1 (abs): shape rule fails: unknown attribute 'axis' (abs takes no attributes)");
  }
  SECTION("a required attribute removed") {
    Graph g = test::trainStepGraph();
    for (Node &n : g.mutableNodes())
      if (n.op == OpKind::ReduceMean)
        n.attrs = {};
    checkFails(g, "%3 (reduce_mean) @loss: shape rule fails: missing attribute 'axes'");
  }
  SECTION("a flag of the wrong type") {
    Graph g = test::trainStepGraph();
    for (Node &n : g.mutableNodes())
      if (n.op == OpKind::Matmul && n.attrs.has("transpose_b"))
        n.attrs.set("transpose_b", int64_t{1});
    CHECK_THROWS_WITH(verify(g),
                      Catch::EndsWith("shape rule fails: attribute 'transpose_b' must be a bool, "
                                      "got int"));
  }
  SECTION("an initializer of the wrong type") {
    Graph g = chain();
    ValueId w = g.addState("w", {DType::F32, {2}});
    g.mutableNodes()[static_cast<size_t>(w)].attrs.set("trainable", std::string("yes"));
    checkFails(g, "%w (state): attribute 'trainable' must be a bool, got string");
  }
}

TEST_CASE("the verifier finds an operand outside the graph", "[ir][verifier]") {
  Graph g = chain();
  g.mutableNodes()[2].operands = {-1};
  checkFails(g, "%1 (abs): operand 0 is node -1, outside the graph (4 nodes)");
}

TEST_CASE("the verifier checks inputs and state", "[ir][verifier]") {
  SECTION("an input with operands") {
    Graph g = chain();
    g.mutableNodes()[0].operands = {};
    g.addInput("z", {DType::F32, {2}});
    g.mutableNodes()[4].operands = {0};
    checkFails(g, "%z (input): has 1 operands, expected none");
  }
  SECTION("an input with attributes") {
    Graph g = chain();
    g.mutableNodes()[0].attrs.set("init", std::string("zeros"));
    checkFails(g, "%x (input): an input has no attributes, got {init = \"zeros\"}");
  }
  SECTION("state without a name") {
    Graph g = chain();
    ValueId w = g.addState("w", {DType::F32, {2}});
    g.mutableNodes()[static_cast<size_t>(w)].name.clear();
    checkFails(g, "% (state): has no name");
  }
  SECTION("a name the parser would read as a number") {
    Graph g = chain();
    g.addState("12", {DType::F32, {2}});
    checkFails(g, "%12 (state): name '12' cannot be printed (letters, digits, '_', '.', '-', "
                  "not all digits)");
  }
  SECTION("a negative dimension") {
    Graph g;
    g.addInput("x", {DType::F32, {2, -3}});
    checkFails(g, "%x (input): type f32[2,-3] has a negative dimension");
  }
  SECTION("a repeated name") {
    Graph g = chain();
    ValueId w = g.addState("w", {DType::F32, {2}});
    g.mutableNodes()[static_cast<size_t>(w)].name = "x";
    checkFails(g, "%x (state): the name 'x' is already used by node 0");
  }
}

TEST_CASE("the verifier checks what printing needs", "[ir][verifier]") {
  SECTION("a computation with a name") {
    Graph g = chain();
    g.mutableNodes()[2].name = "oops";
    checkFails(g, "%1 (abs): a computation has no name, got 'oops'");
  }
  SECTION("a scope with a comment marker") {
    Graph g = chain();
    g.mutableNodes()[2].scope = "fc1//relu";
    checkFails(g, "%1 (abs) @fc1//relu: scope 'fc1//relu' cannot be printed (letters, digits, "
                  "'_', '.', '-', '/', no '//')");
  }
  SECTION("an attribute key with a space") {
    Graph g = chain();
    g.mutableNodes()[2].attrs.set("bad key", int64_t{1});
    checkFails(g, "%1 (abs): attribute name 'bad key' cannot be printed");
  }
  SECTION("a graph name with a slash") {
    Graph g = chain();
    g.setName("a/b");
    checkFails(g, "graph @a/b: the graph name must be non-empty letters, digits, '_', '.' or '-'");
  }
}

TEST_CASE("the verifier checks outputs", "[ir][verifier]") {
  Graph g = chain();
  g.mutableOutputs().push_back({"z", 9});
  checkFails(g, "output 'z': refers to node 9, outside the graph (4 nodes)");
  g.mutableOutputs().back() = {"y", 1};
  checkFails(g, "output 'y': declared twice");
  g.mutableOutputs().back() = {"1st", 1};
  CHECK_THROWS_WITH(verify(g), Catch::StartsWith("output '1st': the name cannot be printed"));
}

TEST_CASE("the verifier checks updates", "[ir][verifier]") {
  Graph g = test::trainStepGraph();
  ValueId w = *g.findNamed("fc.weight");
  ValueId x = *g.findNamed("x");
  ValueId newW = g.updates()[0].value;
  SECTION("the target is not state") {
    g.mutableUpdates()[0].state = x;
    checkFails(g, "%x (input): is the target of an update but is not state");
  }
  SECTION("the types differ") {
    g.mutableUpdates()[0].value = x;
    checkFails(g, "%fc.weight (state) @fc: of type f32[1,3] is updated from %x of type f32[4,3]");
  }
  SECTION("state updated twice") {
    g.mutableUpdates().push_back({w, newW});
    checkFails(g, "%fc.weight (state) @fc: is updated twice");
  }
  SECTION("the value is outside the graph") {
    g.mutableUpdates()[0].value = 1000;
    checkFails(g, "%fc.weight (state) @fc: updated from node 1000, outside the graph (12 nodes)");
  }
}
