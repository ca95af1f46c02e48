#include "kiln/frontend/Zoo.h"

#include "kiln/frontend/Models.h"
#include "kiln/frontend/SequenceModels.h"
#include "kiln/ir/Error.h"

namespace kiln {

Type ModelSpec::inputType(int64_t batch) const {
  Shape shape{batch};
  shape.insert(shape.end(), sampleShape.begin(), sampleShape.end());
  return {DType::F32, shape};
}

ModelSpec classifier(std::string name, Shape sampleShape, int64_t numClasses,
                     std::function<std::unique_ptr<Module>()> make) {
  return {std::move(name), "", std::move(sampleShape), numClasses, OutputKind::Logits,
          std::move(make)};
}

const std::vector<ModelSpec> &zoo() {
  static const std::vector<ModelSpec> entries = [] {
    const Shape mnist{1, 28, 28}, xorInput{2};
    using Act = XorMLP::Activation;
    std::vector<ModelSpec> e;
    e.push_back({"perceptron", "spec §1 perceptron: Linear(2,1), sigmoid to train, step to predict",
                 xorInput, 1, OutputKind::Probability,
                 [] { return std::make_unique<Perceptron>(); }});
    e.push_back({"xor_mlp", "spec §1 MLP for XOR: 2 -> 4 tanh -> 1 sigmoid", xorInput, 1,
                 OutputKind::Probability, [] { return std::make_unique<XorMLP>(4, Act::Tanh); }});
    e.push_back({"xor_mlp_relu", "spec §1 MLP for XOR: 2 -> 8 relu -> 1 sigmoid", xorInput, 1,
                 OutputKind::Probability, [] { return std::make_unique<XorMLP>(8, Act::Relu); }});
    e.push_back({"mlp", "spec §9-2 MLP: 784-256-128-10, relu, dropout 0.2", mnist, 10,
                 OutputKind::Logits, [] { return std::make_unique<MLP>(); }});
    e.push_back({"cnn", "spec §9-2 CNN: 2 conv+pool, fc 128, dropout 0.25", mnist, 10,
                 OutputKind::Logits, [] { return std::make_unique<CNN>(); }});
    e.push_back({"icnn", "spec §9-2 ImprovedCNN: 3 conv+batchnorm+pool, fc 256, dropout 0.3", mnist,
                 10, OutputKind::Logits, [] { return std::make_unique<ImprovedCNN>(); }});
    e.push_back({"lstm",
                 "spec §6 LSTM: 28 rows as a sequence, 2 layers of 128, fc on the last step", mnist,
                 10, OutputKind::Logits, [] { return std::make_unique<LSTMClassifier>(); }});
    e.push_back({"vit", "spec §7 ViT: 7x7 patches, dim 64, 2 pre-norm GELU encoder layers, 4 heads",
                 mnist, 10, OutputKind::Logits, [] { return std::make_unique<ViT>(); }});
    return e;
  }();
  return entries;
}

const ModelSpec &zooEntry(std::string_view name) {
  std::string valid;
  for (const ModelSpec &e : zoo()) {
    if (e.name == name)
      return e;
    valid += (valid.empty() ? "" : ", ") + e.name;
  }
  fail("unknown model '{}' (valid: {})", name, valid);
}

namespace {

BuiltModel traceModule(const ModelSpec &entry, int64_t batch, Mode mode) {
  if (!entry.make)
    fail("model '{}' has no Module factory", entry.name);
  std::unique_ptr<Module> model = entry.make();
  BuiltModel built{
      Graph(entry.name + (mode == Mode::Train ? ".forward" : ".eval")), -1, -1, {}, {}};
  Traced t = trace(*model, built.graph, entry.inputType(batch), mode);
  built.input = t.input;
  built.logits = t.output;
  built.parameters = std::move(t.parameters);
  built.buffers = std::move(t.buffers);
  return built;
}

} // namespace

BuiltModel buildModel(std::string_view name, int64_t batch, Mode mode) {
  return buildModel(zooEntry(name), batch, mode);
}

BuiltModel buildModel(const ModelSpec &entry, int64_t batch, Mode mode) {
  if (batch < 1)
    fail("model '{}': the batch size must be >= 1, got {}", entry.name, batch);
  BuiltModel built = entry.build ? entry.build(batch, mode) : traceModule(entry, batch, mode);
  const Type &out = built.graph.node(built.logits).type;
  const int64_t width = entry.output == OutputKind::Probability ? 1 : entry.numClasses;
  if (out != Type{DType::F32, {batch, width}})
    fail("model '{}': forward returns {}, but a model of {} outputs at batch {} must return "
         "f32[{},{}]",
         entry.name, out.str(), width, batch, batch, width);
  return built;
}

} // namespace kiln
