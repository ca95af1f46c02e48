#include "kiln/frontend/Tracer.h"

#include "kiln/frontend/Module.h"
#include "kiln/frontend/Value.h"
#include "kiln/ir/Error.h"

#include <cassert>

namespace kiln {

std::string_view modeName(Mode mode) {
  switch (mode) {
  case Mode::Train:
    return "train";
  case Mode::Eval:
    return "eval";
  }
  assert(false && "unknown mode");
  return {};
}

Tracer::Tracer(Graph &graph, Mode mode) : graph_(graph), builder_(graph), mode_(mode) {
  // A tracer may continue a graph another one built (the loss after the model): count
  // the draws already there so that seeds stay distinct.
  for (const Node &n : graph_.nodes())
    seedCounter_ += n.op == OpKind::RandomUniform;
}

Value Tracer::input(std::string name, Type type) {
  return wrap(graph_.addInput(std::move(name), std::move(type), "input"), "");
}

Value Tracer::wrap(ValueId id) { return Value(*this, id); }

Value Tracer::wrap(ValueId id, std::string owner) {
  setOwner(id, std::move(owner));
  return Value(*this, id);
}

void Tracer::declare(const Module &root) {
  if (!declaredRoots_.insert(&root).second)
    return;
  for (const Module::NamedState &s : root.namedStates()) {
    ValueId id = graph_.addState(s.name, s.decl->type, s.decl->attrs, s.scope);
    states_.emplace(s.name, id);
    (s.decl->trainable ? parameters_ : buffers_).push_back(id);
  }
}

ValueId Tracer::state(const std::string &fullName) const {
  auto it = states_.find(fullName);
  if (it == states_.end())
    fail("parameter '{}' is not declared in graph '{}'", fullName, graph_.name());
  return it->second;
}

ValueId Tracer::stepCounter() {
  const Type counter{DType::I32, {}};
  if (auto step = graph_.findNamed("step")) {
    if (graph_.type(*step) != counter || graph_.node(*step).op != OpKind::State)
      fail("graph '{}' has a 'step' that is not i32[] state: {}", graph_.name(),
           graph_.type(*step).str());
    return *step;
  }
  return graph_.addState("step", counter, {{"init", std::string("zeros")}, {"trainable", false}},
                         "step");
}

int64_t Tracer::nextSeed(std::string_view scope) {
  // FNV-1a over "<scope>#<n>": stable across runs and builds, distinct per call site.
  std::string key = std::string(scope) + "#" + std::to_string(seedCounter_++);
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h & 0x7fffffffffffffffull);
}

const std::string &Tracer::owner(ValueId id) const {
  static const std::string none;
  return static_cast<size_t>(id) < owners_.size() ? owners_[static_cast<size_t>(id)] : none;
}

void Tracer::setOwner(ValueId id, std::string owner) {
  assert(id >= 0 && "Tracer::setOwner: invalid value");
  if (owners_.size() <= static_cast<size_t>(id))
    owners_.resize(static_cast<size_t>(id) + 1);
  owners_[static_cast<size_t>(id)] = std::move(owner);
}

std::string Tracer::functionBase(ValueId operand) const {
  const std::string &scope = builder_.scope();
  const std::string &own = owner(operand);
  if (own.empty())
    return scope;
  bool below = scope.empty() || own == scope ||
               (own.size() > scope.size() && own.compare(0, scope.size(), scope) == 0 &&
                own[scope.size()] == '/');
  return below ? own : scope;
}

} // namespace kiln
