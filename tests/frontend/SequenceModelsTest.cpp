// The zoo's sequence models (spec §6 LSTM, §7 ViT): state_dict names, order and shapes
// as PyTorch's for shared/reference/pytorch_sequence_models.py, parameter counts,
// initialization and output shapes.
#include "kiln/frontend/SequenceModels.h"
#include "kiln/frontend/Zoo.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <utility>

using namespace kiln;

namespace {
Type f32(Shape s) { return {DType::F32, std::move(s)}; }

using Expected = std::vector<std::pair<std::string, Shape>>;

/// The state nodes of `g` as (name, shape) in declaration order, without the dropout
/// step counter (a kiln-only buffer of train graphs).
Expected stateList(const Graph &g) {
  Expected out;
  for (ValueId id : g.states())
    if (g.node(id).name != "step")
      out.emplace_back(g.node(id).name, g.type(id).shape);
  return out;
}

/// PyTorch's LSTMClassifier().state_dict(): nn.LSTM registers weight_ih, weight_hh,
/// bias_ih, bias_hh per layer; then fc.
Expected lstmStateDict() {
  return {{"lstm.weight_ih_l0", {512, 28}},  {"lstm.weight_hh_l0", {512, 128}},
          {"lstm.bias_ih_l0", {512}},        {"lstm.bias_hh_l0", {512}},
          {"lstm.weight_ih_l1", {512, 128}}, {"lstm.weight_hh_l1", {512, 128}},
          {"lstm.bias_ih_l1", {512}},        {"lstm.bias_hh_l1", {512}},
          {"fc.weight", {10, 128}},          {"fc.bias", {10}}};
}

/// PyTorch's ViT().state_dict(): the module's own parameters (cls_token, pos_embed)
/// come before any submodule's, whatever the order of assignment in __init__.
Expected vitStateDict() {
  Expected e{{"cls_token", {1, 1, 64}},
             {"pos_embed", {1, 17, 64}},
             {"patch_embed.weight", {64, 49}},
             {"patch_embed.bias", {64}}};
  for (std::string l : {"0", "1"}) {
    std::string p = "encoder.layers." + l + ".";
    Expected layer{{p + "self_attn.in_proj_weight", {192, 64}},
                   {p + "self_attn.in_proj_bias", {192}},
                   {p + "self_attn.out_proj.weight", {64, 64}},
                   {p + "self_attn.out_proj.bias", {64}},
                   {p + "linear1.weight", {128, 64}},
                   {p + "linear1.bias", {128}},
                   {p + "linear2.weight", {64, 128}},
                   {p + "linear2.bias", {64}},
                   {p + "norm1.weight", {64}},
                   {p + "norm1.bias", {64}},
                   {p + "norm2.weight", {64}},
                   {p + "norm2.bias", {64}}};
    e.insert(e.end(), layer.begin(), layer.end());
  }
  Expected tail{
      {"norm.weight", {64}}, {"norm.bias", {64}}, {"head.weight", {10, 64}}, {"head.bias", {10}}};
  e.insert(e.end(), tail.begin(), tail.end());
  return e;
}
} // namespace

TEST_CASE("lstm's state_dict is PyTorch's, in order", "[frontend][zoo][seq]") {
  for (Mode mode : {Mode::Train, Mode::Eval}) {
    INFO(modeName(mode));
    BuiltModel m = buildModel("lstm", 2, mode);
    CHECK(stateList(m.graph) == lstmStateDict());
    CHECK(m.parameters.size() == 10);
    CHECK(m.buffers.empty());
  }
}

TEST_CASE("vit's state_dict is PyTorch's, in order", "[frontend][zoo][seq]") {
  for (Mode mode : {Mode::Train, Mode::Eval}) {
    INFO(modeName(mode));
    BuiltModel m = buildModel("vit", 2, mode);
    CHECK(stateList(m.graph) == vitStateDict());
    CHECK(m.parameters.size() == 32);
    CHECK(m.buffers.empty());
  }
}

TEST_CASE("lstm has PyTorch's 214,282 parameters", "[frontend][zoo][seq]") {
  // Layer 0: 4H(28 + H) + 8H = 512 * 156 + 1024 = 80,896; layer 1: 512 * 256 + 1024 =
  // 132,096; fc: 1,290.
  LSTMClassifier model;
  CHECK(model.numParameters() == 80896 + 132096 + 1290);
  CHECK(model.numParameters() == 214282);
}

TEST_CASE("vit has PyTorch's 72,074 parameters", "[frontend][zoo][seq]") {
  // cls 64 + pos 17*64 = 1,088 + patch_embed 49*64 + 64 = 3,200; per layer in_proj
  // 192*64 + 192 = 12,480, out_proj 4,160, linear1 8,320, linear2 8,256, norms 256
  // = 33,472; final norm 128; head 650.
  ViT model;
  CHECK(model.numParameters() == 64 + 1088 + 3200 + 2 * 33472 + 128 + 650);
  CHECK(model.numParameters() == 72074);
}

TEST_CASE("the sequence models carry PyTorch's initialization", "[frontend][zoo][seq]") {
  BuiltModel m = buildModel("vit", 2, Mode::Train);
  auto attrs = [&](const char *name) { return m.graph.node(*m.graph.findNamed(name)).attrs; };
  CHECK(attrs("cls_token") == Attrs{{"init", std::string("zeros")}, {"trainable", true}});
  CHECK(attrs("pos_embed") ==
        Attrs{{"init", std::string("normal")}, {"std", 0.02}, {"trainable", true}});
  CHECK(attrs("patch_embed.weight").getFloat("bound") == Approx(1.0 / 7.0));
  CHECK(attrs("encoder.layers.1.self_attn.in_proj_weight").getFloat("bound") ==
        Approx(std::sqrt(6.0 / 256.0)));
  CHECK(attrs("encoder.layers.0.self_attn.out_proj.bias").getString("init") == "zeros");
  CHECK(attrs("encoder.layers.0.norm2.weight").getString("init") == "ones");
  CHECK(attrs("head.weight").getFloat("bound") == Approx(1.0 / 8.0));
  BuiltModel l = buildModel("lstm", 2, Mode::Train);
  CHECK(l.graph.node(*l.graph.findNamed("lstm.bias_hh_l1")).attrs.getFloat("bound") ==
        Approx(1.0 / std::sqrt(128.0)));
  CHECK(l.graph.node(*l.graph.findNamed("fc.weight")).attrs.getFloat("bound") ==
        Approx(1.0 / std::sqrt(128.0)));
}

TEST_CASE("lstm and vit map f32[B,1,28,28] to 10 logits", "[frontend][zoo][seq]") {
  std::string name = GENERATE(as<std::string>{}, "lstm", "vit");
  int64_t batch = GENERATE(1, 3, 17);
  Mode mode = GENERATE(Mode::Train, Mode::Eval);
  INFO(name << " batch " << batch << " " << modeName(mode));
  BuiltModel m = buildModel(name, batch, mode);
  CHECK(m.graph.type(m.input) == f32({batch, 1, 28, 28}));
  CHECK(m.graph.type(m.logits) == f32({batch, 10}));
  CHECK(zooEntry(name).output == OutputKind::Logits);
}

TEST_CASE("vit cuts 7x7 patches row by row and attends over 17 tokens", "[frontend][zoo][seq]") {
  BuiltModel m = buildModel("vit", 3, Mode::Eval);
  // The patch transpose: [B, 4(i), 7(r), 4(j), 7(c)] -> [B, i, j, r, c].
  int transposes = 0;
  for (const Node &n : m.graph.nodes())
    if (n.op == OpKind::Transpose && n.type.shape == Shape{3, 4, 4, 7, 7}) {
      ++transposes;
      CHECK(n.attrs.getInts("perm") == std::vector<int64_t>{0, 1, 3, 2, 4});
    }
  CHECK(transposes == 1);
  // Attention scores of every head of both layers: [B * 4, 17, 17].
  int scores = 0;
  for (const Node &n : m.graph.nodes())
    scores += n.op == OpKind::Matmul && n.type.shape == Shape{12, 17, 17};
  CHECK(scores == 2);
}
