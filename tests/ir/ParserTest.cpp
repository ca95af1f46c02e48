// Round trips through the textual IR (print, parse, print) and the forms of hand-written
// text the parser accepts beyond what the printer writes.
#include "SampleGraphs.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Printer.h"
#include "kiln/ir/Verifier.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace kiln;

namespace {

/// Prints, parses and prints again; both texts must agree and both graphs verify.
Graph roundTrip(const Graph &graph) {
  verify(graph);
  std::string text = printGraph(graph);
  Graph parsed = parseGraph(text);
  verify(parsed);
  CHECK(printGraph(parsed) == text);
  return parsed;
}

} // namespace

TEST_CASE("every op of the table round-trips", "[ir][parser]") {
  size_t index = GENERATE(range(size_t{0}, kNumOps));
  OpKind op = kOpInfos[index].kind;
  INFO("op " << mnemonic(op));
  Graph g("one.op");
  ValueId v = test::addOpExample(g, op);
  g.addOutput("result", v);
  Graph parsed = roundTrip(g);
  REQUIRE(parsed.findOutput("result"));
  const Node &n = parsed.node(*parsed.findOutput("result"));
  CHECK(n.op == op);
  CHECK(n.type == g.type(v));
  CHECK(n.scope == g.node(v).scope);
}

TEST_CASE("a graph with every op and a training step round-trip", "[ir][parser]") {
  roundTrip(test::allOpsGraph());
  Graph parsed = roundTrip(test::trainStepGraph());
  CHECK(parsed.name() == "linreg.train");
  CHECK(parsed.updates().size() == 1);
  CHECK(parsed.outputs().size() == 2);
}

// Metadata keys (with a '.') carry values of every kind on any node.
TEST_CASE("attributes of every kind round-trip with their kinds", "[ir][parser]") {
  Graph g("attrs");
  Attrs attrs{{"m.flag", true},
              {"m.off", false},
              {"m.count", int64_t{-7}},
              {"m.big", std::numeric_limits<int64_t>::max()},
              {"m.small", std::numeric_limits<int64_t>::min()},
              {"m.ratio", 0.25},
              {"m.ints", std::vector<int64_t>{1, -2, 3}},
              {"m.empty", std::vector<int64_t>{}},
              {"m.floats", std::vector<double>{1.0, -2.5, 1e300}},
              {"init", std::string("uniform")},
              {"bound", 0.5}}; // uniform's range: a state's initializer must be complete
  g.addState("s", {DType::F32, {2}}, attrs, "block-1/sub.layer");
  Graph parsed = roundTrip(g);
  CHECK(parsed.node(0).attrs == attrs);
  CHECK(parsed.node(0).scope == "block-1/sub.layer");
}

TEST_CASE("awkward floats parse back to the same bits", "[ir][parser]") {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {0.1, 1e-30, -0.0,   1.0 / 3.0,
                                inf, -inf,  5e-324, 1e20,
                                2.5, 1.0,   -1e-7,  std::numeric_limits<double>::max()};
  Graph g("floats");
  Attrs attrs{{"m.list", values}, {"m.nan", std::numeric_limits<double>::quiet_NaN()}};
  for (size_t i = 0; i < values.size(); ++i)
    attrs.set("m.v" + std::to_string(i), values[i]);
  g.addState("s", {DType::F64, {}}, attrs);
  Graph parsed = roundTrip(g);
  const Attrs &back = parsed.node(0).attrs;
  for (size_t i = 0; i < values.size(); ++i) {
    double v = back.getFloat("m.v" + std::to_string(i));
    INFO("value " << values[i]);
    CHECK(std::signbit(v) == std::signbit(values[i]));
    CHECK((v == values[i]));
    CHECK((back.getFloats("m.list")[i] == values[i]));
  }
  CHECK(std::isnan(back.getFloat("m.nan")));
  CHECK(printGraph(parsed).find("-0.0") != std::string::npos);
}

TEST_CASE("strings keep quotes, backslashes, comment marks and raw bytes", "[ir][parser]") {
  std::string awkward = "a\"b\\c # not // a comment } \n second line \xff\xfe";
  Graph g("strings");
  g.addState("s", {DType::F32, {}}, {{"m.text", awkward}, {"m.empty", std::string()}});
  Graph parsed = roundTrip(g);
  CHECK(parsed.node(0).attrs.getString("m.text") == awkward);
  CHECK(parsed.node(0).attrs.getString("m.empty").empty());
}

TEST_CASE("computations are renumbered and inputs hoisted when reprinted", "[ir][parser]") {
  // Hand-written: comments, blank lines, CRLF, tabs, sparse numbering, interleaving.
  std::string text = "# a hand-written graph\r\n"
                     "graph @hand {   // opening\n"
                     "\n"
                     "\tinput %x : f32[2]   # the data\n"
                     "  %10 = neg(%x) : f32[2] @act/neg\r\n"
                     "  state %w : f32[2] {init = \"zeros\"}\n"
                     "  %3 = add(%10, %w) : f32[2]\n"
                     "  %007 = concat(%3,%10){axis=0}:f32[4]@cat\n"
                     "  output y = %007\n"
                     "  update %w <- %3 }\n"
                     "// trailing comment\n";
  Graph g = parseGraph(text, "hand.kir");
  verify(g);
  CHECK(printGraph(g) == "graph @hand {\n"
                         "  input %x : f32[2]\n"
                         "  state %w : f32[2] {init = \"zeros\"}\n"
                         "  %0 = neg(%x) : f32[2] @act/neg\n"
                         "  %1 = add(%0, %w) : f32[2]\n"
                         "  %2 = concat(%1, %0) {axis = 0} : f32[4] @cat\n"
                         "  output y = %2\n"
                         "  update %w <- %1\n"
                         "}\n");
}

TEST_CASE("a list with any float is a float list, [] an int list", "[ir][parser]") {
  Graph g = parseGraph("graph @g {\n"
                       "  state %s : f32[] {m.a = [1, 2.5], m.b = [], m.c = [1, 2], m.d = 3}\n"
                       "}\n");
  auto raw = [&](const std::string &key) {
    for (const auto &[k, v] : g.node(0).attrs)
      if (k == key)
        return v;
    FAIL("no attribute " << key);
    return AttrValue();
  };
  CHECK(std::get<std::vector<double>>(raw("m.a")) == std::vector<double>{1.0, 2.5});
  CHECK(std::holds_alternative<std::vector<int64_t>>(raw("m.b")));
  CHECK(std::get<std::vector<int64_t>>(raw("m.c")) == std::vector<int64_t>{1, 2});
  CHECK(std::get<int64_t>(raw("m.d")) == 3);
  CHECK(g.node(0).attrs.getFloat("m.d") == 3.0);
}

TEST_CASE("an empty graph and a one-line graph parse", "[ir][parser]") {
  CHECK(printGraph(parseGraph("graph @empty {\n}\n")) == "graph @empty {\n}\n");
  CHECK(printGraph(parseGraph("graph @g { input %x : bool[] }")) ==
        "graph @g {\n  input %x : bool[]\n}\n");
}

TEST_CASE("a long chain parses in linear time", "[ir][parser]") {
  Graph g("chain");
  ValueId v = g.addInput("x", {DType::F32, {8}});
  for (int i = 0; i < 20000; ++i)
    v = g.add(i % 2 ? OpKind::Neg : OpKind::Abs, {v}, {}, "deep/stack/of/layers");
  g.addOutput("y", v);
  Graph parsed = roundTrip(g);
  CHECK(parsed.size() == g.size());
}

TEST_CASE("a file of several graphs parses into each, with names and values of its own",
          "[ir][parser]") {
  std::string text = "graph @a {\n  input %x : f32[2]\n  %0 = neg(%x) : f32[2]\n}\n\n"
                     "# the second graph reuses the names\n"
                     "graph @b {\n  input %x : f32[3]\n  %0 = abs(%x) : f32[3]\n}\n";
  std::vector<Graph> graphs = parseGraphs(text, "two.kir");
  REQUIRE(graphs.size() == 2);
  CHECK(graphs[0].name() == "a");
  CHECK(graphs[1].name() == "b");
  CHECK(graphs[1].type(1) == Type{DType::F32, {3}});
  CHECK_THROWS_WITH(parseGraph(text, "two.kir"),
                    Catch::Contains("two.kir:7:1: unexpected 'graph' after the closing '}'"));
  CHECK_THROWS_WITH(parseGraphs("graph @a {\n}\ngraph @b {\n  %0 = neg(%x) : f32[2]\n}\n", "f"),
                    Catch::Contains("f:4:"));
}
