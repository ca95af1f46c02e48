// The attribute schema of the op table and the typed accessors that read it.
#include "SampleGraphs.h"

#include "kiln/ir/AttrSchema.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/OpGroups.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

using namespace kiln;

namespace {
using Ints = std::vector<int64_t>;
} // namespace

TEST_CASE("every op of the table has a well-formed attribute schema", "[ir][attrs]") {
  size_t index = GENERATE(range(size_t{0}, kNumOps));
  OpKind op = kOpInfos[index].kind;
  INFO("op " << mnemonic(op));
  AttrSchema schema = attrSchema(op);
  std::set<std::string_view> names;
  for (const AttrSpec &spec : schema.specs) {
    INFO("attribute " << spec.name);
    CHECK(names.insert(spec.name).second);
    CHECK(findAttrSpec(op, spec.name) == &spec);
    // An optional attribute says what it defaults to; an enum lists its values.
    CHECK(spec.required == spec.fallback.empty());
    CHECK((spec.type == AttrType::Enum) == !spec.choices.empty());
  }
  // Every op's example node (tests/ir/SampleGraphs.cpp) fits its schema.
  Graph g;
  ValueId v = test::addOpExample(g, op);
  CHECK_NOTHROW(checkAttrs(op, g.node(v).attrs));
}

TEST_CASE("the schema rejects unknown, missing and mistyped attributes", "[ir][attrs]") {
  CHECK_THROWS_WITH(checkAttrs(OpKind::Matmul, {{"transpose_bb", true}}),
                    "unknown attribute 'transpose_bb' (matmul takes transpose_a, transpose_b)");
  CHECK_THROWS_WITH(checkAttrs(OpKind::Add, {{"axis", int64_t{0}}}),
                    "unknown attribute 'axis' (add takes no attributes)");
  CHECK_THROWS_WITH(checkAttrs(OpKind::ReduceSum, {}), "missing attribute 'axes'");
  CHECK_THROWS_WITH(checkAttrs(OpKind::Conv2dInputGrad, {{"padding", Ints{1, 1}}}),
                    "missing attribute 'input_size'");
  CHECK_THROWS_WITH(checkAttrs(OpKind::Conv2d, {{"stride", 2.5}}),
                    "attribute 'stride' must be a list of 2 ints, got float");
  CHECK_THROWS_WITH(checkAttrs(OpKind::Matmul, {{"transpose_a", int64_t{3}}}),
                    "attribute 'transpose_a' must be a bool, got int");
  CHECK_THROWS_WITH(checkAttrs(OpKind::Slice, {{"start", Ints{0}}, {"limit", std::vector{1.5}}}),
                    "attribute 'limit' must be an int list, got float list");
  // Ints are floats where a float is asked for, as the parser reads `value = 0`.
  CHECK_NOTHROW(checkAttrs(OpKind::Pad, {{"low", Ints{1}}, {"high", Ints{1}}, {"value", int64_t{0}}}));
  CHECK_NOTHROW(checkAttrs(OpKind::Constant, {{"dtype", std::string("f32")},
                                              {"shape", Ints{0}},
                                              {"data", Ints{}}}));
}

TEST_CASE("state takes its initializer typed, and metadata keys on any node", "[ir][attrs]") {
  CHECK_NOTHROW(checkAttrs(OpKind::State, {{"init", std::string("uniform")},
                                           {"bound", 0.1},
                                           {"trainable", true},
                                           {"note.text", std::string("kept")}}));
  CHECK_NOTHROW(checkAttrs(OpKind::Add, {{"user.tag", int64_t{3}}}));
  CHECK_THROWS_WITH(checkAttrs(OpKind::State, {{"trainabel", true}}),
                    "unknown attribute 'trainabel' (state takes bound, init, std, trainable, "
                    "value)");
  CHECK_THROWS_WITH(checkAttrs(OpKind::State, {{"init", std::string("unifrom")}}),
                    "attribute 'init' must be one of zeros, ones, constant, uniform, normal, "
                    "got 'unifrom'");
  CHECK_THROWS_WITH(checkAttrs(OpKind::State, {{"std", std::string("1")}}),
                    "attribute 'std' must be a float, got string");
  Graph g;
  CHECK_THROWS_WITH(g.addState("w", {DType::F32, {2}}, {{"trainable", int64_t{1}}}),
                    "state 'w': attribute 'trainable' must be a bool, got int");
}

TEST_CASE("a state's initializer has the attribute its rule needs, in range", "[ir][attrs]") {
  auto init = [](const char *rule, const char *key, double value) {
    return Attrs{{"init", std::string(rule)}, {key, value}};
  };
  CHECK_NOTHROW(checkAttrs(OpKind::State, init("normal", "std", 0.02)));
  CHECK_NOTHROW(checkAttrs(OpKind::State, init("normal", "std", 0.0)));
  CHECK_NOTHROW(checkAttrs(OpKind::State, init("constant", "value", -3.0)));
  CHECK_THROWS_WITH(checkAttrs(OpKind::State, init("normal", "std", -0.5)),
                    "attribute 'std' of init = \"normal\" must be finite and >= 0, got -0.5");
  CHECK_THROWS_WITH(checkAttrs(OpKind::State, init("uniform", "bound", -1.0)),
                    "attribute 'bound' of init = \"uniform\" must be finite and >= 0, got -1");
  CHECK_THROWS_WITH(checkAttrs(OpKind::State, init("normal", "std", INFINITY)),
                    "attribute 'std' of init = \"normal\" must be finite and >= 0, got inf");
  CHECK_THROWS_WITH(checkAttrs(OpKind::State, init("constant", "value", NAN)),
                    "attribute 'value' of init = \"constant\" must be finite, got nan");
  CHECK_THROWS_WITH(checkAttrs(OpKind::State, {{"init", std::string("normal")}}),
                    "init = \"normal\" needs attribute 'std'");
  Graph g;
  CHECK_THROWS_WITH(g.addState("w", {DType::F32, {2}}, init("normal", "std", -1.0)),
                    "state 'w': attribute 'std' of init = \"normal\" must be finite and >= 0, "
                    "got -1");
}

TEST_CASE("Graph::add checks the schema before the shape rule", "[ir][attrs]") {
  Graph g;
  ValueId a = g.addInput("a", {DType::F32, {2, 3}});
  ValueId b = g.addInput("b", {DType::F32, {2, 3}});
  // With the flag misspelt the shapes would not even agree: the name is reported first.
  CHECK_THROWS_WITH(g.add(OpKind::Matmul, {a, b}, {{"transpose_bb", true}}, "fc1"),
                    "fc1: matmul(f32[2,3], f32[2,3]) {transpose_bb = true}: unknown attribute "
                    "'transpose_bb' (matmul takes transpose_a, transpose_b)");
  CHECK(g.type(g.add(OpKind::Matmul, {a, b}, {{"transpose_b", true}})).shape == Shape{2, 2});
}

TEST_CASE("the typed accessors apply the schema's defaults", "[ir][attrs]") {
  SECTION("matmul") {
    MatmulAttrs m = matmulAttrs({});
    CHECK(!m.transposeA);
    CHECK(!m.transposeB);
    CHECK(matmulAttrs({{"transpose_b", true}}).transposeB);
  }
  SECTION("convolutions") {
    ConvAttrs c = convAttrs({});
    CHECK(c.stride == Pair{1, 1});
    CHECK(c.padding == Pair{0, 0});
    CHECK(c.dilation == Pair{1, 1});
    CHECK(c.groups == 1);
    c = convAttrs({{"stride", Ints{2, 1}}, {"groups", int64_t{3}}, {"input_size", Ints{7, 5}}});
    CHECK(c.stride == Pair{2, 1});
    CHECK(c.groups == 3);
    CHECK(c.inputSize == Pair{7, 5});
    CHECK_THROWS_WITH(convAttrs({{"dilation", Ints{0, 1}}}),
                      "attribute 'dilation' must be >= 1, got 0");
  }
  SECTION("windows: the stride defaults to the window") {
    WindowAttrs w = windowAttrs({{"window", Ints{3, 2}}});
    CHECK(w.stride == Pair{3, 2});
    CHECK(w.padding == Pair{0, 0});
    CHECK(windowAttrs({{"window", Ints{3, 3}}, {"stride", Ints{1, 1}}}).stride == Pair{1, 1});
    CHECK_THROWS_WITH(windowAttrs({{"window", Ints{2, 2}}, {"padding", Ints{2, 0}}}),
                      "padding 2 exceeds half the window 2");
  }
  SECTION("slice and pad") {
    CHECK(sliceAttrs({{"start", Ints{0, 1}}, {"limit", Ints{2, 3}}}).stride == Ints{1, 1});
    CHECK(padAttrs({{"low", Ints{1}}, {"high", Ints{0}}}).value == 0.0);
  }
  SECTION("reductions") {
    Graph g;
    ValueId x = g.addInput("x", {DType::F32, {2, 3, 4}});
    CHECK(reducedAxes(g.node(g.add(OpKind::ReduceSum, {x}, {{"axes", Ints{2, 0}}}))) ==
          Ints{2, 0});
    CHECK(reducedAxes(g.node(g.add(OpKind::Argmax, {x}, {{"axis", int64_t{1}}}))) == Ints{1});
  }
}

TEST_CASE("the op table's category enums cover each category exactly", "[ir][attrs]") {
  size_t index = GENERATE(range(size_t{0}, kNumOps));
  const OpInfo &info = kOpInfos[index];
  INFO("op " << info.mnemonic);
  CHECK(sourceOp(info.kind).has_value() == (info.category == OpCategory::Source));
  CHECK(elementwiseOp(info.kind).has_value() == (info.category == OpCategory::Elementwise));
  CHECK(reductionOp(info.kind).has_value() == (info.category == OpCategory::Reduction));
  CHECK(contractionOp(info.kind).has_value() == (info.category == OpCategory::Contraction));
  CHECK(windowOp(info.kind).has_value() == (info.category == OpCategory::Window));
  CHECK(layoutOp(info.kind).has_value() == (info.category == OpCategory::Layout));
  CHECK(collectiveOp(info.kind).has_value() == (info.category == OpCategory::Collective));
  // What is never recomputed is exactly what loops over many operand elements, or talks
  // to the other ranks.
  CHECK((info.cost == OpCost::Heavy) ==
        (info.category == OpCategory::Reduction || info.category == OpCategory::Collective ||
         isAnchor(info.kind)));
}
