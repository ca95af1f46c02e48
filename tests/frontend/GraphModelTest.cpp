// Model files replayed at other batch sizes (frontend/GraphModel, frontend/Rebatch): the
// sequence models' forward files, whose batch also sits in [layers, batch, hidden] states
// and [batch * heads, tokens, dim] attention, give the zoo model's outputs at any batch,
// and a graph that cannot follow the batch is refused with its file, line and node.
#include "kiln/frontend/GraphModel.h"
#include "kiln/frontend/BatchLayout.h"
#include "kiln/frontend/Zoo.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Printer.h"

#include "tests/frontend/RunGraph.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace kiln;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

namespace fs = std::filesystem;

/// The zoo model `name`'s graphs at `batch`, as `kiln ir NAME --stage forward` (the
/// train-mode forward graph) or `--stage model` (followed by the eval-mode graph) write
/// them.
std::string modelText(const std::string &name, int64_t batch, const std::string &stage) {
  std::string text;
  for (Mode mode : {Mode::Train, Mode::Eval}) {
    if (mode == Mode::Eval && stage == "forward")
      break;
    BuiltModel built = buildModel(name, batch, mode);
    built.graph.addOutput("logits", built.logits);
    text += printGraph(built.graph);
  }
  return text;
}

/// `built`'s logits at batch `batch` in the interpreter, on seeded images.
Tensor logits(BuiltModel built, int64_t batch) {
  built.graph.addOutput("logits", built.logits);
  Type x{DType::F32, {batch, 1, 28, 28}};
  return test::run(built.graph, {{"x", test::tensor(x, test::pseudoRandom(x.numElements(), 7))}})
      .at("logits");
}

} // namespace

TEST_CASE("lstm and vit model files replay at batch 1, 3 and 17", "[frontend][model-file]") {
  const std::string name = GENERATE("lstm", "vit");
  // The forward graph alone (used for evaluation too: vit keeps its dropout there), or
  // followed by the eval-mode graph.
  const std::string stage = GENERATE("forward", "model");
  // kiln ir's default batch, and one image (where a state of size 1 meets the examples
  // without a broadcast, and the batch cannot be told from other dimensions of size 1).
  const int64_t written = GENERATE(64, 1);
  fs::path dir =
      fs::temp_directory_path() / fmt::format("kiln-graph-model-{}-{}-{}", name, stage, written);
  fs::create_directories(dir);
  const std::string path = (dir / (name + ".kir")).string();
  std::ofstream(path) << modelText(name, written, stage);
  ModelSpec spec = graphModel(path);
  for (int64_t batch : {1, 3, 17})
    for (Mode mode : {Mode::Train, Mode::Eval}) {
      INFO(name << " --stage " << stage << " written at batch " << written << ", replayed at "
                << batch << (mode == Mode::Train ? " to train" : " to evaluate"));
      BuiltModel replayed = buildModel(spec, batch, mode);
      // What the file holds for this mode: the zoo's graph of that mode.
      BuiltModel zoo = buildModel(name, batch, stage == "forward" ? Mode::Train : mode);
      CHECK(replayed.graph.type(replayed.input) == Type{DType::F32, {batch, 1, 28, 28}});
      CHECK(replayed.graph.type(replayed.logits) == Type{DType::F32, {batch, 10}});
      CHECK(replayed.parameters.size() == zoo.parameters.size());
      // Written at 64 the replay is the zoo's graph itself, but at batch 1, where the
      // zoo's ViT drops its class token's broadcast to one image.
      if (written == 64 && mode == Mode::Train && !(name == "vit" && batch == 1))
        CHECK(printGraph(replayed.graph) == printGraph(zoo.graph));
      // The same states in the same order get the same values: the same logits.
      Tensor got = logits(std::move(replayed), batch), want = logits(std::move(zoo), batch);
      REQUIRE(got.type() == want.type());
      int64_t differ = 0;
      for (int64_t i = 0; i < got.numElements(); ++i)
        differ += got.at(i) != want.at(i);
      CHECK(differ == 0);
    }
  fs::remove_all(dir);
}

TEST_CASE("a graph that cannot follow the batch names its file, line and node",
          "[frontend][model-file]") {
  struct Case {
    const char *what, *body, *error;
  };
  const Case c = GENERATE(
      Case{"a state per example",
           "  state %b : f32[4,2] {init = \"zeros\", trainable = true} @fc\n"
           "  %0 = matmul(%x, %w) : f32[4,2] @fc\n"
           "  %1 = add(%0, %b) : f32[4,2] @fc\n"
           "  output logits = %1\n",
           ":6: graph @model at batch 8: add @fc: %b : f32[4,2] would have to grow with the "
           "batch in dimension 0; state keeps its size"},
      Case{"half of the batch",
           "  %0 = slice(%x) {limit = [2,3], start = [0,0]} : f32[2,3] @first\n"
           "  %1 = concat(%0, %0) {axis = 0} : f32[4,3] @twice\n"
           "  %2 = matmul(%1, %w) : f32[4,2] @fc\n"
           "  output logits = %2\n",
           ":4: graph @model at batch 8: slice @first: it slices [0, 2) with stride 1 out of "
           "dimension 0, which holds the batch in blocks of 4: not whole blocks of the batch"},
      Case{"the batch split in two",
           "  %0 = reshape(%x) {shape = [2,6]} : f32[2,6] @split\n"
           "  %1 = reshape(%0) {shape = [4,3]} : f32[4,3] @join\n"
           "  %2 = matmul(%1, %w) : f32[4,2] @fc\n"
           "  output logits = %2\n",
           ":4: graph @model at batch 8: reshape @split: it reshapes f32[4,3] to f32[2,6], "
           "splitting the batch of dimension 0 across dimensions"});
  INFO(c.what);
  std::string text = std::string("graph @model {\n"
                                 "  input %x : f32[4,3]\n"
                                 "  state %w : f32[3,2] {bound = 0.5, init = \"uniform\", "
                                 "trainable = true} @fc\n") +
                     c.body + "}\n";
  fs::path dir = fs::temp_directory_path() / "kiln-graph-model-refused";
  fs::create_directories(dir);
  const std::string path = (dir / "model.kir").string();
  std::ofstream(path) << text;
  ModelSpec spec = graphModel(path);
  CHECK_NOTHROW(buildModel(spec, 4, Mode::Eval)); // at its own batch it is a model
  CHECK_THROWS_WITH(buildModel(spec, 8, Mode::Eval), StartsWith(path) && EndsWith(c.error));
  fs::remove_all(dir);
}

TEST_CASE("the batch is followed into sequence-first and head-merged dimensions",
          "[frontend][model-file]") {
  // lstm's h_n stacks [layers, batch, hidden]; vit's attention runs on
  // [batch * heads, tokens, head_dim].
  auto dimOf = [](const BuiltModel &m, const BatchLayout &layout, const std::string &scope,
                  OpKind op) {
    for (size_t i = 0; i < m.graph.size(); ++i)
      if (m.graph.nodes()[i].scope == scope && m.graph.nodes()[i].op == op)
        return layout.dims[i];
    FAIL("no " << mnemonic(op) << " @" << scope);
    return std::optional<BatchDim>();
  };
  BuiltModel lstm = buildModel("lstm", 64, Mode::Train);
  BatchLayout l = batchLayout(lstm.graph, lstm.input);
  CHECK(dimOf(lstm, l, "lstm/l0/t27/cat", OpKind::Concat) == BatchDim{1, 1});
  CHECK(dimOf(lstm, l, "lstm/l0/view", OpKind::Reshape) == BatchDim{0, 1});
  BuiltModel vit = buildModel("vit", 8, Mode::Train);
  BatchLayout v = batchLayout(vit.graph, vit.input);
  std::optional<BatchDim> scores =
      dimOf(vit, v, "encoder/layers/0/self_attn/softmax", OpKind::ReduceMax);
  REQUIRE(scores);
  CHECK(*scores == BatchDim{0, 1});
  for (ValueId p : vit.parameters)
    CHECK_FALSE(v.dims[static_cast<size_t>(p)]);
}
