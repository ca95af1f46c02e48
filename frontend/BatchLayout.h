// Where a model graph holds its batch. A model file is written at one batch (`kiln ir
// MODEL --stage forward` uses 64) and compiled at others (frontend/Rebatch), so every
// dimension that holds the batch must be found: the examples' leading dimension, but
// also a sequence model's [layers, batch, hidden] states, attention's
// [batch * heads, tokens, dim], and the splats and masks spelled with those shapes.
#pragma once

#include "kiln/ir/Error.h"
#include "kiln/ir/Graph.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// Where a value holds the batch: its dimension `axis` is, in row-major order,
/// `outer` x batch x inner, where inner = size / (outer * batch). The examples
/// [B, 1, 28, 28] are {0, 1}; an LSTM's stacked states [layers, B, hidden] are {1, 1};
/// attention's heads [B * heads, tokens, dim] are {0, 1} with inner = heads.
struct BatchDim {
  int64_t axis = 0;
  int64_t outer = 1;
  bool operator==(const BatchDim &) const = default;
};

/// A node of a model graph that cannot follow the batch: the node, and a message that
/// names its op and scope and says why (the caller knows the file and line).
class RebatchError : public Error {
public:
  RebatchError(ValueId node, const std::string &why) : Error(why), node(node) {}
  ValueId node;
};

/// Where a graph holds its batch.
struct BatchLayout {
  /// For every value, where it holds the batch; nullopt for a value whose size does not
  /// depend on the batch (weights, statistics reduced over the batch).
  std::vector<std::optional<BatchDim>> dims;
  /// (user, operand) -> the batch dimension of a broadcast of the operand the user must
  /// read instead. Only in a graph written at batch 1, where a state of size 1 meets the
  /// examples as if it were one per example (ViT's class token, concatenated to the
  /// patches without a broadcast when there is one image).
  std::map<std::pair<ValueId, ValueId>, BatchDim> broadcasts;
};

/// Where `graph` holds the batch of `input`, whose dimension 0 is the batch. A graph
/// written at batch 1 cannot tell the batch from other dimensions of size 1: there the
/// batch is taken to be the outermost factor. Throws RebatchError for a node that cannot
/// follow the batch: it splits the batch across dimensions or slices through it,
/// convolves or pools over it, or needs a state, an input or a constant listing its
/// elements to grow with it.
BatchLayout batchLayout(const Graph &graph, ValueId input);

} // namespace kiln
