// Gradient checks of the frontend's sequence layers as the DSL builds them (RNN,
// Embedding, GELU, the pre-norm Transformer encoder layer): each layer is traced in f32,
// promoted to f64 node by node, given the loss sum(y * r) for a random r, and its
// autodiff gradients compared with central differences.
#include "kiln/frontend/Frontend.h"
#include "kiln/ir/Builder.h"
#include "kiln/runtime/gradcheck/GradCheck.h"

#include <catch2/catch.hpp>

#include <numeric>

using namespace kiln;

namespace {

constexpr uint64_t kSeed = 131;

Type f32(Shape s) { return {DType::F32, std::move(s)}; }

/// `graph` with every f32 value made f64: input and state types, and the dtype
/// attributes of constants, conversions and one-hots. Node ids are unchanged.
Graph promoteToF64(const Graph &graph) {
  auto promote = [](Type t) {
    if (t.dtype == DType::F32)
      t.dtype = DType::F64;
    return t;
  };
  Graph out(graph.name());
  for (const Node &n : graph.nodes()) {
    ValueId id = -1;
    if (n.op == OpKind::Input) {
      id = out.addInput(n.name, promote(n.type), n.scope);
    } else if (n.op == OpKind::State) {
      id = out.addState(n.name, promote(n.type), n.attrs, n.scope);
    } else {
      Attrs attrs = n.attrs;
      if (attrs.has("dtype") && attrs.getString("dtype") == "f32")
        attrs.set("dtype", std::string("f64"));
      id = out.add(n.op, n.operands, attrs, n.scope);
    }
    REQUIRE(out.type(id) == promote(n.type));
  }
  return out;
}

/// Traces `model` on an input of `inputType` in eval mode (no dropout), promotes it to
/// f64 and appends L = sum(y * r) with a random input r.
struct LayerCase {
  Graph graph;
  ValueId input, loss;
  std::vector<ValueId> parameters;
};

LayerCase layerCase(Module &model, const Type &inputType) {
  Graph traced;
  Traced t = trace(model, traced, inputType, Mode::Eval);
  LayerCase c{promoteToF64(traced), t.input, -1, t.parameters};
  IRBuilder b(c.graph);
  Type yType = c.graph.type(t.output);
  ValueId r = c.graph.addInput("r", yType);
  std::vector<int64_t> axes(static_cast<size_t>(yType.rank()));
  std::iota(axes.begin(), axes.end(), 0);
  c.loss = b.reduceSum(b.mul(t.output, r), axes);
  return c;
}

void requirePassed(const GradCheckRow &row) {
  INFO(row.op << " (seed " << kSeed << ") on " << row.shapes << ": max abs error "
              << row.maxAbsError << ", max rel error " << row.maxRelError);
  CHECK(row.passed);
}

std::vector<ValueId> with(std::vector<ValueId> ids, ValueId extra) {
  ids.push_back(extra);
  return ids;
}

} // namespace

TEST_CASE("a 2-layer RNN with an initial state", "[gradcheck][layers][rnn]") {
  struct M : Module {
    using Module::Module;
    RNN rnn{this, "rnn", 3, 4, {.numLayers = 2, .batchFirst = true}};
    Value forward(Value x) override {
      Value h0 = x.tracer().input("h0", f32({2, x.dim(0), 4}));
      return rnn(x, h0).output;
    }
  } model;
  LayerCase c = layerCase(model, f32({2, 3, 3}));
  ValueId h0 = *c.graph.findNamed("h0");
  REQUIRE(c.parameters.size() == 8);
  requirePassed(
      gradCheckGraph(c.graph, c.loss, with(with(c.parameters, c.input), h0), kSeed, "rnn"));
}

TEST_CASE("an Embedding with a repeated index", "[gradcheck][layers][embedding]") {
  struct M : Module {
    using Module::Module;
    Embedding emb{this, "emb", 5, 3};
    Value forward(Value x) override { return emb(x); }
  } model;
  LayerCase c = layerCase(model, {DType::I32, {2, 3}});
  Tensor indices(Type{DType::I32, {2, 3}});
  std::vector<int> picks{1, 4, 1, 0, 3, 1}; // row 1 three times: its gradient accumulates
  for (int64_t i = 0; i < 6; ++i)
    indices.set(i, picks[size_t(i)]);
  requirePassed(
      gradCheckGraph(c.graph, c.loss, c.parameters, {{c.input, indices}}, kSeed, "embedding"));
}

TEST_CASE("gelu and erf across [-5, 5]", "[gradcheck][layers]") {
  struct M : Module {
    using Module::Module;
    Value forward(Value x) override { return gelu(x) + erf(x * 0.7); }
  } model;
  LayerCase c = layerCase(model, f32({41}));
  // erf's arguments (x / sqrt(2) and 0.7 x) stay inside its clamp [-4, 4], where the
  // approximation is smooth; off round numbers.
  Tensor x(Type{DType::F64, {41}});
  for (int64_t i = 0; i < 41; ++i)
    x.set(i, -5.0 + 0.25 * double(i) + 0.0137);
  requirePassed(gradCheckGraph(c.graph, c.loss, {c.input}, {{c.input, x}}, kSeed, "gelu_erf"));
}

TEST_CASE("a pre-norm GELU Transformer encoder layer", "[gradcheck][layers][attention]") {
  struct M : Module {
    using Module::Module;
    TransformerEncoderLayer layer{this,
                                  "layer",
                                  4,
                                  2,
                                  {.dimFeedforward = 6,
                                   .batchFirst = true,
                                   .activation = TransformerEncoderLayerOptions::Activation::Gelu,
                                   .normFirst = true}};
    Value forward(Value x) override { return layer(x); }
  } model;
  LayerCase c = layerCase(model, f32({2, 3, 4}));
  REQUIRE(c.parameters.size() == 12);
  requirePassed(gradCheckGraph(c.graph, c.loss, with(c.parameters, c.input), kSeed, "encoder"));
}
