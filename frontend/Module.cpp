#include "kiln/frontend/Module.h"

#include "kiln/ir/Error.h"

#include <algorithm>

namespace kiln {

Attrs uniformInit(double bound) { return {{"init", std::string("uniform")}, {"bound", bound}}; }
Attrs normalInit(double stddev) { return {{"init", std::string("normal")}, {"std", stddev}}; }
Attrs zerosInit() { return {{"init", std::string("zeros")}}; }
Attrs onesInit() { return {{"init", std::string("ones")}}; }

Module::Module(Module *parent, std::string name) : parent_(parent), name_(std::move(name)) {
  if (!parent_)
    return; // a root's name is only a label: state_dict names start below it
  parent_->checkName(name_, "submodule");
  path_ = parent_->path_.empty() ? name_ : parent_->path_ + "." + name_;
  parent_->children_.push_back(this);
}

Module::~Module() {
  if (parent_) {
    auto &siblings = parent_->children_;
    siblings.erase(std::remove(siblings.begin(), siblings.end(), this), siblings.end());
  }
}

void Module::checkName(const std::string &name, const char *what) const {
  std::string where = path_.empty() ? "model" : path_;
  if (name.empty() || name.find_first_of("./") != std::string::npos)
    fail("{}: invalid {} name '{}' (non-empty, without '.' or '/')", where, what, name);
  auto taken = [&](const std::string &n) { return n == name; };
  if (std::any_of(children_.begin(), children_.end(),
                  [&](const Module *m) { return taken(m->name_); }) ||
      std::any_of(states_.begin(), states_.end(),
                  [&](const StateDecl &s) { return taken(s.name); }))
    fail("{}: the name '{}' is already used", where, name);
}

const Module &Module::root() const {
  const Module *m = this;
  while (m->parent_)
    m = m->parent_;
  return *m;
}

std::string Module::scope() const {
  std::string s = path_;
  std::replace(s.begin(), s.end(), '.', '/');
  return s;
}

size_t Module::addParameter(std::string name, Shape shape, Attrs init) {
  checkName(name, "parameter");
  init.set("trainable", true);
  states_.push_back({std::move(name), {DType::F32, std::move(shape)}, std::move(init), true});
  return states_.size() - 1;
}

size_t Module::addBuffer(std::string name, Type type, Attrs init) {
  checkName(name, "buffer");
  init.set("trainable", false);
  states_.push_back({std::move(name), std::move(type), std::move(init), false});
  return states_.size() - 1;
}

Value Module::state(const Value &anchor, size_t index) const {
  Tracer &t = anchor.tracer();
  t.declare(root());
  const StateDecl &decl = states_.at(index);
  ValueId id = t.state(path_.empty() ? decl.name : path_ + "." + decl.name);
  // Owned by the state's own scope: the module's, or for a root's state its name.
  return t.wrap(id, t.graph().node(id).scope);
}

std::vector<Module::NamedState> Module::namedStates() const {
  std::vector<NamedState> out;
  std::string prefix = path_.empty() ? "" : path_ + ".";
  // PyTorch lists parameters before buffers within a module.
  for (bool trainable : {true, false})
    for (const StateDecl &s : states_)
      if (s.trainable == trainable)
        // A root's own state (ViT's cls_token) has no module scope: it is its own.
        out.push_back({prefix + s.name, path_.empty() ? s.name : scope(), &s});
  for (const Module *child : children_) {
    std::vector<NamedState> sub = child->namedStates();
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

int64_t Module::numParameters() const {
  int64_t n = 0;
  for (const NamedState &s : namedStates())
    if (s.decl->trainable)
      n += s.decl->type.numElements();
  return n;
}

Value Module::owned(const Value &v) const {
  Tracer &t = v.tracer();
  return t.wrap(v.id(), t.builder().scope());
}

Value Module::operator()(Value x) {
  return scoped(x, [&] { return owned(forward(x)); });
}

Traced trace(Module &model, Graph &graph, const Type &inputType, Mode mode, std::string inputName) {
  Tracer tracer(graph, mode);
  Value x = tracer.input(std::move(inputName), inputType);
  Value y = model(x);
  return {x.id(), y.id(), tracer.parameters(), tracer.buffers()};
}

} // namespace kiln
