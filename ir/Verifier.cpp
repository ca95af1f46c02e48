#include "kiln/ir/Verifier.h"

#include "kiln/ir/AttrSchema.h"
#include "kiln/ir/CheckedMath.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/GraphView.h"
#include "kiln/ir/Lexer.h"
#include "kiln/ir/ShapeRules.h"

#include <unordered_map>
#include <unordered_set>

namespace kiln {

namespace {

/// The shape rules' cap on element counts, for declared input and state types.

class Verifier {
public:
  explicit Verifier(const Graph &graph) : graph_(graph), names_(printedNames(graph)) {}

  void run() {
    checkOperandRanges();
    std::vector<ValueId> cycle = findCycle(graph_);
    if (!cycle.empty()) {
      std::string path;
      for (ValueId v : cycle)
        path += name(v) + " -> ";
      nodeError(cycle.front(), "is on a cycle {}{}", path, name(cycle.front()));
    }
    for (size_t i = 0; i < graph_.size(); ++i)
      checkNode(static_cast<ValueId>(i));
    checkNamesUnique();
    checkOutputs();
    checkUpdates();
    if (!isGraphName(graph_.name()))
      fail("graph @{}: the graph name must be non-empty letters, digits, '_', '.' or '-'",
           graph_.name());
  }

private:
  const std::string &name(ValueId v) const { return names_[static_cast<size_t>(v)]; }
  bool inRange(ValueId v) const { return v >= 0 && static_cast<size_t>(v) < graph_.size(); }

  template <typename... Args>
  [[noreturn]] void nodeError(ValueId id, fmt::format_string<Args...> format,
                              Args &&...args) const {
    const Node &n = graph_.node(id);
    std::string where = fmt::format("{} ({})", name(id), mnemonic(n.op));
    if (!n.scope.empty())
      where += " @" + n.scope;
    fail("{}: {}", where, fmt::format(format, std::forward<Args>(args)...));
  }

  void checkOperandRanges() const {
    for (size_t i = 0; i < graph_.size(); ++i) {
      const std::vector<ValueId> &operands = graph_.nodes()[i].operands;
      for (size_t k = 0; k < operands.size(); ++k)
        if (!inRange(operands[k]))
          nodeError(static_cast<ValueId>(i), "operand {} is node {}, outside the graph ({} nodes)",
                    k, operands[k], graph_.size());
    }
  }

  void checkNode(ValueId id) const {
    const Node &n = graph_.node(id);
    for (size_t k = 0; k < n.operands.size(); ++k)
      if (n.operands[k] >= id)
        nodeError(id, "operand {} ({}) is used before its definition", k, name(n.operands[k]));
    if (!isScopeName(n.scope))
      nodeError(id, "scope '{}' cannot be printed (letters, digits, '_', '.', '-', '/', no '//')",
                n.scope);
    for (const auto &[key, value] : n.attrs)
      if (!isWord(key))
        nodeError(id, "attribute name '{}' cannot be printed", key);

    if (n.op == OpKind::Input || n.op == OpKind::State) {
      if (!n.operands.empty())
        nodeError(id, "has {} operands, expected none", n.operands.size());
      if (n.name.empty())
        nodeError(id, "has no name");
      if (!isValueName(n.name))
        nodeError(id,
                  "name '{}' cannot be printed (letters, digits, '_', '.', '-', not all "
                  "digits)",
                  n.name);
      if (n.op == OpKind::Input && !n.attrs.empty())
        nodeError(id, "an input has no attributes, got {}", formatAttrs(n.attrs));
      try {
        checkAttrs(n.op, n.attrs);
      } catch (const Error &e) {
        nodeError(id, "{}", e.what());
      }
      int64_t elements = 1;
      for (int64_t d : n.type.shape) {
        if (d < 0)
          nodeError(id, "type {} has a negative dimension", n.type.str());
        if (d > 0 && elements > kMaxElements / d)
          nodeError(id, "type {} has more than 2^40 elements", n.type.str());
        elements *= d;
      }
      return;
    }

    if (!n.name.empty())
      nodeError(id, "a computation has no name, got '{}'", n.name);
    std::vector<Type> operandTypes;
    for (ValueId v : n.operands)
      operandTypes.push_back(graph_.type(v));
    Type inferred;
    try {
      inferred = inferType(n.op, operandTypes, n.attrs);
    } catch (const Error &e) {
      nodeError(id, "shape rule fails: {}", e.what());
    }
    if (inferred != n.type)
      nodeError(id, "has type {} but its shape rule gives {}", n.type.str(), inferred.str());
  }

  void checkNamesUnique() const {
    std::unordered_map<std::string_view, ValueId> seen;
    for (size_t i = 0; i < graph_.size(); ++i) {
      const Node &n = graph_.nodes()[i];
      if (n.op != OpKind::Input && n.op != OpKind::State)
        continue;
      auto [it, inserted] = seen.try_emplace(n.name, static_cast<ValueId>(i));
      if (!inserted)
        nodeError(static_cast<ValueId>(i), "the name '{}' is already used by node {}", n.name,
                  it->second);
    }
  }

  void checkOutputs() const {
    std::unordered_set<std::string_view> seen;
    for (const Output &o : graph_.outputs()) {
      if (!isWord(o.name))
        fail("output '{}': the name cannot be printed (a letter or '_', then letters, digits, "
             "'_', '.', '-')",
             o.name);
      if (!seen.insert(o.name).second)
        fail("output '{}': declared twice", o.name);
      if (!inRange(o.value))
        fail("output '{}': refers to node {}, outside the graph ({} nodes)", o.name, o.value,
             graph_.size());
    }
  }

  void checkUpdates() const {
    std::unordered_set<ValueId> updated;
    for (const Update &u : graph_.updates()) {
      if (!inRange(u.state))
        fail("update: target is node {}, outside the graph ({} nodes)", u.state, graph_.size());
      if (graph_.node(u.state).op != OpKind::State)
        nodeError(u.state, "is the target of an update but is not state");
      if (!inRange(u.value))
        nodeError(u.state, "updated from node {}, outside the graph ({} nodes)", u.value,
                  graph_.size());
      if (graph_.type(u.value) != graph_.type(u.state))
        nodeError(u.state, "of type {} is updated from {} of type {}", graph_.type(u.state).str(),
                  name(u.value), graph_.type(u.value).str());
      if (!updated.insert(u.state).second)
        nodeError(u.state, "is updated twice");
    }
  }

  const Graph &graph_;
  std::vector<std::string> names_;
};

} // namespace

void verify(const Graph &graph) { Verifier(graph).run(); }

} // namespace kiln
