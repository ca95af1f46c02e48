// Models as kiln compiles them: a ModelSpec is a Module factory with the shape of one
// example and the meaning of the output; buildModel traces one for a batch size and mode.
// The zoo is the tutorial's models as a list of ModelSpecs, found by name; a user's own
// model is a ModelSpec like any other and takes the same path.
#pragma once

#include "kiln/frontend/Module.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// What a model's output means, and so which loss trains it.
enum class OutputKind {
  Logits,      ///< f32[B, numClasses]: cross_entropy against i32[B] classes; argmax predicts
  Probability, ///< f32[B, 1] in [0, 1]: binary_cross_entropy against f32[B, 1] targets
  Values       ///< f32[B, numClasses]: mse_loss against f32[B, numClasses] targets
};

/// A traced model.
struct BuiltModel {
  Graph graph;                     ///< "<name>.forward" (train) or "<name>.eval"
  ValueId input;                   ///< "x" : f32[batch, sampleShape...]
  ValueId logits;                  ///< the model's output (see OutputKind)
  std::vector<ValueId> parameters; ///< trainable state, in state_dict order
  std::vector<ValueId> buffers;    ///< running statistics and counters, in state_dict order
};

/// A model kiln can compile: how to make the Module, and what goes in and comes out.
struct ModelSpec {
  std::string name;        ///< "mlp"; names graphs, logs and checkpoints
  std::string description; ///< one line, for `kiln models`
  Shape sampleShape;       ///< one example without the batch: {1, 28, 28}
  int64_t numClasses;      ///< outputs per example: 10 for MNIST, 1 for a probability
  OutputKind output;
  std::function<std::unique_ptr<Module>()> make;
  /// Instead of `make`: traces the model itself (a model read from a graph file). The
  /// graph's output must be the model's output; buildModel checks its type.
  std::function<BuiltModel(int64_t batch, Mode mode)> build{};
  /// A model file's text, which checkpoints keep so that they outlive the file; empty
  /// for other models.
  std::string source{};

  /// f32[batch, sampleShape...].
  Type inputType(int64_t batch) const;
};

/// A classifier over `numClasses` classes of examples shaped `sampleShape`, made by
/// `make` (e.g. [] { return std::make_unique<MyNet>(); }).
ModelSpec classifier(std::string name, Shape sampleShape, int64_t numClasses,
                     std::function<std::unique_ptr<Module>()> make);

/// perceptron, xor_mlp, xor_mlp_relu, mlp, cnn, icnn, lstm, vit (in that order).
const std::vector<ModelSpec> &zoo();
/// The entry called `name`; throws kiln::Error listing the valid names.
const ModelSpec &zooEntry(std::string_view name);

/// Traces `model` for `batch` examples in `mode`. The graph has no outputs
/// yet: the caller adds the loss, metrics or logits it needs, e.g.
///   Tracer t(built.graph, mode);
///   Value loss = cross_entropy(t.wrap(built.logits), t.input("y", {DType::I32, {batch}}));
BuiltModel buildModel(const ModelSpec &model, int64_t batch, Mode mode);
/// buildModel(zooEntry(name), batch, mode).
BuiltModel buildModel(std::string_view name, int64_t batch, Mode mode);

} // namespace kiln
