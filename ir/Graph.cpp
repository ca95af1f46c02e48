#include "kiln/ir/Graph.h"

#include "kiln/ir/AttrSchema.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/ShapeRules.h"

namespace kiln {

ValueId Graph::append(Node node) {
  nodes_.push_back(std::move(node));
  return static_cast<ValueId>(nodes_.size() - 1);
}

ValueId Graph::addInput(std::string name, Type type, std::string scope) {
  if (findNamed(name))
    fail("'{}' is declared twice", name);
  return append(Node{OpKind::Input, {}, {}, std::move(type), std::move(name), std::move(scope)});
}

ValueId Graph::addState(std::string name, Type type, Attrs init, std::string scope) {
  if (findNamed(name))
    fail("'{}' is declared twice", name);
  try {
    checkAttrs(OpKind::State, init);
  } catch (const AttrError &e) {
    throw e.within(fmt::format("state '{}'", name));
  } catch (const Error &e) {
    fail("state '{}': {}", name, e.what());
  }
  return append(Node{OpKind::State, {}, std::move(init), std::move(type), std::move(name),
                     std::move(scope)});
}

std::string Graph::describe(OpKind op, const std::vector<ValueId> &operands, const Attrs &attrs,
                            const std::string &scope) const {
  std::string s = scope.empty() ? "" : scope + ": ";
  s += std::string(mnemonic(op)) + "(";
  for (size_t i = 0; i < operands.size(); ++i) {
    if (i)
      s += ", ";
    ValueId v = operands[i];
    s += v >= 0 && static_cast<size_t>(v) < nodes_.size() ? type(v).str() : "<undefined>";
  }
  s += ")";
  std::string a = formatAttrs(attrs);
  return a.empty() ? s : s + " " + a;
}

ValueId Graph::add(OpKind op, std::vector<ValueId> operands, Attrs attrs, std::string scope) {
  std::vector<Type> types;
  for (ValueId v : operands) {
    if (v < 0 || static_cast<size_t>(v) >= nodes_.size())
      fail("{}: operand %{} is not defined", describe(op, operands, attrs, scope), v);
    types.push_back(type(v));
  }
  Type result;
  try {
    result = inferType(op, types, attrs);
  } catch (const AttrError &e) {
    throw e.within(describe(op, operands, attrs, scope));
  } catch (const Error &e) {
    fail("{}: {}", describe(op, operands, attrs, scope), e.what());
  }
  return append(
      Node{op, std::move(operands), std::move(attrs), std::move(result), {}, std::move(scope)});
}

ValueId Graph::addTyped(OpKind op, std::vector<ValueId> operands, Attrs attrs,
                        const Type &declared, std::string scope) {
  std::string context = describe(op, operands, attrs, scope);
  ValueId id = add(op, std::move(operands), std::move(attrs), std::move(scope));
  if (type(id) != declared) {
    std::string actual = type(id).str(); // read before the node is removed
    nodes_.pop_back();
    fail("{}: declared type {} but the op gives {}", context, declared.str(), actual);
  }
  return id;
}

void Graph::addOutput(std::string name, ValueId value) {
  if (value < 0 || static_cast<size_t>(value) >= nodes_.size())
    fail("output '{}' refers to an undefined value", name);
  if (findOutput(name))
    fail("output '{}' is declared twice", name);
  outputs_.push_back({std::move(name), value});
}

void Graph::addUpdate(ValueId state, ValueId value) {
  if (state < 0 || static_cast<size_t>(state) >= nodes_.size() ||
      node(state).op != OpKind::State)
    fail("update target is not state");
  if (value < 0 || static_cast<size_t>(value) >= nodes_.size())
    fail("update of '{}' refers to an undefined value", node(state).name);
  if (type(state) != type(value))
    fail("update of '{}' ({}) has type {}", node(state).name, type(state).str(),
         type(value).str());
  if (findUpdate(state))
    fail("'{}' is updated twice", node(state).name);
  updates_.push_back({state, value});
}

std::vector<ValueId> Graph::inputs() const {
  std::vector<ValueId> ids;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].op == OpKind::Input)
      ids.push_back(static_cast<ValueId>(i));
  return ids;
}

std::vector<ValueId> Graph::states() const {
  std::vector<ValueId> ids;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].op == OpKind::State)
      ids.push_back(static_cast<ValueId>(i));
  return ids;
}

std::optional<ValueId> Graph::findNamed(std::string_view name) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if ((nodes_[i].op == OpKind::Input || nodes_[i].op == OpKind::State) &&
        nodes_[i].name == name)
      return static_cast<ValueId>(i);
  return std::nullopt;
}

std::optional<ValueId> Graph::findOutput(std::string_view name) const {
  for (const Output &o : outputs_)
    if (o.name == name)
      return o.value;
  return std::nullopt;
}

std::optional<ValueId> Graph::findUpdate(ValueId state) const {
  for (const Update &u : updates_)
    if (u.state == state)
      return u.value;
  return std::nullopt;
}

} // namespace kiln
