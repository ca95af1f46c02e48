// passes/DataParallel: the all_reduce on each gradient and the per-rank random streams.
// (That the result trains like one process at the global batch is tests/runtime/dist.)
#include "kiln/passes/DataParallel.h"

#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>

#include <optional>

using namespace kiln;

namespace {

Graph withDropoutDraw(std::optional<int64_t> offset) {
  Graph graph("g");
  ValueId step = graph.addState("step", Type{DType::I32, {}}, {{"init", std::string("zeros")}});
  Attrs attrs{{"seed", int64_t(7)}, {"shape", std::vector<int64_t>{4, 3}}};
  if (offset)
    attrs.set("offset", *offset);
  graph.addOutput("u", graph.add(OpKind::RandomUniform, {step}, attrs, "fc1/dropout"));
  return graph;
}

} // namespace

TEST_CASE("averageOverRanks puts an all_reduce mean on each gradient, in its scope",
          "[passes][dp]") {
  Graph graph("g");
  ValueId a = graph.addInput("a", Type{DType::F32, {3}}, "fc1/grad");
  ValueId b = graph.addInput("b", Type{DType::F32, {2, 2}}, "fc2/grad");
  CHECK(averageOverRanks(graph, {a, b}, {0, 1}) == std::vector<ValueId>{a, b});

  std::vector<ValueId> averaged = averageOverRanks(graph, {a, b}, {1, 4});
  REQUIRE(averaged.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const Node &node = graph.node(averaged[i]);
    CHECK(node.op == OpKind::AllReduce);
    CHECK(node.operands == std::vector<ValueId>{i == 0 ? a : b});
    CHECK(node.attrs.getString("reduction") == "mean");
    CHECK(node.scope == graph.node(node.operands[0]).scope);
    CHECK(node.type == graph.type(node.operands[0]));
  }
}

TEST_CASE("shardRandomStreams gives rank r the draws r x n .. (r+1) x n of the global stream",
          "[passes][dp]") {
  for (std::optional<int64_t> own : {std::optional<int64_t>{}, std::optional<int64_t>{5}}) {
    // What one process draws for 3 ranks' 12 elements each.
    Graph whole("whole");
    {
      ValueId step =
          whole.addState("step", Type{DType::I32, {}}, {{"init", std::string("zeros")}});
      Attrs attrs{{"seed", int64_t(7)}, {"shape", std::vector<int64_t>{12, 3}}};
      if (own)
        attrs.set("offset", *own);
      whole.addOutput("u", whole.add(OpKind::RandomUniform, {step}, attrs));
    }
    Tensor counter = Tensor::full({DType::I32, {}}, 3.0);
    Tensor all = Interpreter(whole).run({}, std::vector<Tensor>{counter}).outputs[0];
    for (int rank = 0; rank < 3; ++rank) {
      Graph graph = withDropoutDraw(own);
      shardRandomStreams(graph, {rank, 3});
      const Node &draw = graph.node(graph.outputs()[0].value);
      CHECK(draw.attrs.getInt("offset", -1) == own.value_or(0) + rank * 12);
      Tensor part = Interpreter(graph).run({}, std::vector<Tensor>{counter}).outputs[0];
      for (int64_t i = 0; i < 12; ++i)
        CHECK(part.at(i) == all.at(rank * 12 + i));
    }
  }
  Graph alone = withDropoutDraw(std::nullopt);
  shardRandomStreams(alone, {0, 1});
  CHECK_FALSE(alone.node(alone.outputs()[0].value).attrs.has("offset"));
}
