// The graph IR: a flat array of single-result nodes in topological order (operands
// always precede their users), plus named outputs and state updates (DESIGN §2).
// A value is identified by the index of the node that defines it.
#pragma once

#include "kiln/ir/Attrs.h"
#include "kiln/ir/Op.h"
#include "kiln/ir/Type.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln {

using ValueId = int32_t;

struct Node {
  OpKind op;
  std::vector<ValueId> operands;
  Attrs attrs;
  Type type;
  std::string name;  ///< inputs and state only: "x", "fc1.weight"
  std::string scope; ///< the layer that made it: "fc1/relu"; may be empty
};

/// A named result of the graph (loss, logits, correct count...).
struct Output {
  std::string name;
  ValueId value;
};

/// `state <- value` at the end of a step.
struct Update {
  ValueId state;
  ValueId value;
};

class Graph {
public:
  explicit Graph(std::string name = "main") : name_(std::move(name)) {}

  const std::string &name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }

  /// Declares a named input. Throws kiln::Error if the name is taken.
  ValueId addInput(std::string name, Type type, std::string scope = {});
  /// Declares named state (parameters, optimizer moments, counters); `init` says how
  /// the runtime initializes it: {init = "uniform", bound = b} | "zeros" | "ones" |
  /// {init = "constant", value = v} | {init = "normal", std = s}.
  ValueId addState(std::string name, Type type, Attrs init = {}, std::string scope = {});
  /// Appends a computation; its type comes from the op's shape rule. Throws kiln::Error
  /// "scope: op(operand types) {attrs}: what is wrong".
  ValueId add(OpKind op, std::vector<ValueId> operands, Attrs attrs = {}, std::string scope = {});
  /// Like add, but checks the result against a declared type (used by the parser).
  ValueId addTyped(OpKind op, std::vector<ValueId> operands, Attrs attrs, const Type &declared,
                   std::string scope = {});

  void addOutput(std::string name, ValueId value);
  /// Records `state <- value`; the types must match and each state is updated once.
  void addUpdate(ValueId state, ValueId value);

  const Node &node(ValueId id) const { return nodes_.at(static_cast<size_t>(id)); }
  const Type &type(ValueId id) const { return node(id).type; }
  size_t size() const { return nodes_.size(); }
  const std::vector<Node> &nodes() const { return nodes_; }
  const std::vector<Output> &outputs() const { return outputs_; }
  const std::vector<Update> &updates() const { return updates_; }

  std::vector<ValueId> inputs() const;
  std::vector<ValueId> states() const;
  /// The input or state with this name.
  std::optional<ValueId> findNamed(std::string_view name) const;
  std::optional<ValueId> findOutput(std::string_view name) const;
  /// The update of `state`, if any.
  std::optional<ValueId> findUpdate(ValueId state) const;

  /// Direct access for passes that rewrite the graph; they must keep it verifiable.
  std::vector<Node> &mutableNodes() { return nodes_; }
  std::vector<Output> &mutableOutputs() { return outputs_; }
  std::vector<Update> &mutableUpdates() { return updates_; }

private:
  ValueId append(Node node);
  std::string describe(OpKind op, const std::vector<ValueId> &operands, const Attrs &attrs,
                       const std::string &scope) const;

  std::string name_;
  std::vector<Node> nodes_;
  std::vector<Output> outputs_;
  std::vector<Update> updates_;
};

} // namespace kiln
