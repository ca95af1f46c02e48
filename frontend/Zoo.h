// The model zoo: the tutorial's models by name, and the one call the runtime and the CLI
// use to get a traced graph of one of them for a batch size and mode.
#pragma once

#include "kiln/frontend/Module.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// What a model's output means.
enum class OutputKind {
  Logits,     ///< f32[B, numClasses]: train with cross_entropy, predict with argmax
  Probability ///< f32[B, 1] in [0, 1]: train with binary_cross_entropy or mse_loss
};

struct ZooEntry {
  std::string name;        ///< "mlp"
  std::string description; ///< one line, for `kiln models`
  Shape sampleShape;       ///< one example without the batch: {1, 28, 28}
  int64_t numClasses;      ///< 10 for MNIST; 1 for a single probability
  OutputKind output;
  std::function<std::unique_ptr<Module>()> make;

  /// f32[batch, sampleShape...].
  Type inputType(int64_t batch) const;
};

/// perceptron, xor_mlp, xor_mlp_relu, mlp, cnn, icnn, lstm, vit (in that order).
const std::vector<ZooEntry> &zoo();
/// The entry called `name`; throws kiln::Error listing the valid names.
const ZooEntry &zooEntry(std::string_view name);

/// A traced zoo model.
struct BuiltModel {
  Graph graph;                     ///< "<name>.forward" (train) or "<name>.eval"
  ValueId input;                   ///< "x" : f32[batch, sampleShape...]
  ValueId logits;                  ///< the model's output (see OutputKind)
  std::vector<ValueId> parameters; ///< trainable state, in state_dict order
  std::vector<ValueId> buffers;    ///< running statistics and counters, in state_dict order
};

/// Traces zoo model `name` for `batch` examples in `mode`. The graph has no outputs
/// yet: the caller adds the loss, metrics or logits it needs, e.g.
///   Tracer t(built.graph, mode);
///   Value loss = cross_entropy(t.wrap(built.logits), t.input("y", {DType::I32, {batch}}));
BuiltModel buildModel(std::string_view name, int64_t batch, Mode mode);

} // namespace kiln
