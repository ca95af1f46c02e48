// Tracer: the recording context of one forward trace. It owns the IRBuilder that
// layers append to, the mode (train/eval), the table from parameter names to their
// state nodes, and the bookkeeping that gives every node a readable scope.
#pragma once

#include "kiln/ir/Builder.h"
#include "kiln/ir/Graph.h"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

class Module;
class Value;

/// Train: dropout draws masks, batch norm uses batch statistics and updates its
/// running ones. Eval: dropout is the identity, batch norm uses running statistics.
enum class Mode { Train, Eval };

/// "train" or "eval".
std::string_view modeName(Mode mode);

/// Records a model's forward pass into a Graph. Values made by a tracer refer to it,
/// so it must outlive every Value it produced that is still used.
class Tracer {
public:
  Tracer(Graph &graph, Mode mode);
  Tracer(const Tracer &) = delete;
  Tracer &operator=(const Tracer &) = delete;

  Graph &graph() { return graph_; }
  IRBuilder &builder() { return builder_; }
  Mode mode() const { return mode_; }
  bool training() const { return mode_ == Mode::Train; }

  /// Declares the graph input `name` (scope "input") and returns it.
  Value input(std::string name, Type type);
  /// Wraps a value of the graph; subsequent functional ops on it are scoped under the
  /// current module scope.
  Value wrap(ValueId id);
  /// Wraps a value and records `owner` as the layer that produced it.
  Value wrap(ValueId id, std::string owner);

  /// Creates the state nodes of `root` and of all its submodules, in PyTorch's
  /// state_dict order; does nothing if `root` was declared already.
  void declare(const Module &root);
  /// The state node of a declared parameter or buffer ("fc1.weight").
  ValueId state(const std::string &fullName) const;
  /// Trainable parameters declared so far, in declaration (state_dict) order.
  const std::vector<ValueId> &parameters() const { return parameters_; }
  /// Non-trainable buffers (running statistics, counters) declared so far.
  const std::vector<ValueId> &buffers() const { return buffers_; }

  /// The graph's shared step counter: state "step" : i32[] {init = "zeros",
  /// trainable = false}, looked up first and created on first need.
  ValueId stepCounter();
  /// A seed for a random draw at `scope`, distinct for every call within the graph
  /// and the same for the same model traced again.
  int64_t nextSeed(std::string_view scope);

  /// The layer path that produced `id` ("" when unknown: inputs, foreign values).
  const std::string &owner(ValueId id) const;
  void setOwner(ValueId id, std::string owner);
  /// Where a function applied to `operand` belongs: the operand's layer when that layer
  /// lies at or below the current module scope ("fc1" for relu(fc1(x))), otherwise the
  /// current module scope.
  std::string functionBase(ValueId operand) const;

private:
  Graph &graph_;
  IRBuilder builder_;
  Mode mode_;
  std::set<const Module *> declaredRoots_;
  std::map<std::string, ValueId, std::less<>> states_;
  std::vector<ValueId> parameters_;
  std::vector<ValueId> buffers_;
  std::vector<std::string> owners_;
  int64_t seedCounter_ = 0;
};

} // namespace kiln
