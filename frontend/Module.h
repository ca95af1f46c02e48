// kiln::Module: the base of every layer and model, like torch.nn.Module. A module
// declares parameters and buffers (created as graph state when it is first traced),
// owns named submodules registered through their constructor's `parent`, and records
// its forward pass under its own scope. Names follow PyTorch's state_dict.
#pragma once

#include "kiln/frontend/Value.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln {

/// A parameter or buffer as a module declares it: its name within the module, its type,
/// and the state attributes the runtime initializes it from ({init = "uniform", bound =
/// b, trainable = true} ...).
struct StateDecl {
  std::string name;
  Type type;
  Attrs attrs;
  bool trainable;
};

/// {init = "uniform", bound = b}: U(-b, b).
Attrs uniformInit(double bound);
/// {init = "normal", std = s}: N(0, s^2).
Attrs normalInit(double stddev);
/// {init = "zeros"}.
Attrs zerosInit();
/// {init = "ones"}.
Attrs onesInit();

class Module {
public:
  /// A child is registered with `parent` under `name`, which must be unique among its
  /// siblings and contain no '.' or '/'. A root (no parent) may carry a name as a label;
  /// it is not part of state names or scopes.
  explicit Module(Module *parent = nullptr, std::string name = {});
  /// Unregisters from the parent, so a child whose construction failed leaves no trace.
  virtual ~Module();
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  /// The computation; called through operator(), which scopes and declares.
  virtual Value forward(Value x) = 0;
  /// Records forward(x) under this module's scope, declaring the state of the whole
  /// module tree in x's tracer first if needed.
  Value operator()(Value x);

  const std::string &name() const { return name_; }
  /// The dotted path from the root ("encoder.self_attn"); empty for the root.
  const std::string &path() const { return path_; }
  Module *parent() const { return parent_; }
  const Module &root() const;
  const std::vector<Module *> &children() const { return children_; }
  /// This module's own parameters and buffers, in registration order.
  const std::vector<StateDecl> &ownStates() const { return states_; }

  /// A parameter or buffer with its full state_dict name and its scope.
  struct NamedState {
    std::string name;  ///< "bn1.running_mean"
    std::string scope; ///< "bn1"; a root's own state is scoped by its name ("cls_token")
    const StateDecl *decl;
  };
  /// All parameters and buffers of the tree in PyTorch's state_dict order: a module's
  /// own parameters, then its own buffers, then each child's in registration order.
  std::vector<NamedState> namedStates() const;
  /// The number of trainable elements (PyTorch's sum of p.numel() for parameters()).
  int64_t numParameters() const;

protected:
  /// Declares a trainable f32 parameter; returns its index for state().
  size_t addParameter(std::string name, Shape shape, Attrs init);
  /// Declares a non-trainable buffer (running statistics, counters).
  size_t addBuffer(std::string name, Type type, Attrs init);
  StateDecl &stateDecl(size_t index) { return states_.at(index); }
  /// The graph state of own parameter `index` in the trace that `anchor` belongs to.
  Value state(const Value &anchor, size_t index) const;
  /// The scope this module's nodes get: the path with '/' separators.
  std::string scope() const;

  /// Runs `body` under this module's scope after declaring the tree's state in x's
  /// tracer; what subclasses with a different call signature (LSTM) use.
  template <typename F> auto scoped(const Value &x, F &&body) {
    Tracer &t = x.tracer();
    t.declare(root());
    if (!parent_)
      return body();
    auto guard = t.builder().enter(name_);
    return body();
  }
  /// Marks `v` as produced by this module, for the scopes of functions applied to it.
  Value owned(const Value &v) const;

private:
  void checkName(const std::string &name, const char *what) const;

  Module *parent_;
  std::string name_;
  std::string path_;
  std::vector<Module *> children_;
  std::vector<StateDecl> states_;
};

/// nn.ModuleList of `T`: children named "0", "1", ... in order, so that their state reads
/// "layers.0.weight". Calling it applies the modules in order, which puts their nodes
/// under "<list>/0", "<list>/1" like their state names (PyTorch's ModuleList has no
/// forward; its owners loop over it, as this one does for them).
template <typename T> class ModuleList : public Module {
public:
  ModuleList(Module *parent, std::string name) : Module(parent, std::move(name)) {}

  /// Constructs the next module as T(this, "<index>", args...).
  template <typename... Args> T &append(Args &&...args) {
    modules_.push_back(
        std::make_unique<T>(this, std::to_string(modules_.size()), std::forward<Args>(args)...));
    return *modules_.back();
  }
  size_t size() const { return modules_.size(); }
  T &operator[](size_t i) { return *modules_.at(i); }

  Value forward(Value x) override {
    for (std::unique_ptr<T> &m : modules_)
      x = (*m)(x);
    return x;
  }

private:
  std::vector<std::unique_ptr<T>> modules_;
};

/// The result of tracing a model's forward pass into a graph.
struct Traced {
  ValueId input;                   ///< the input "x"
  ValueId output;                  ///< forward's result (the logits of a classifier)
  std::vector<ValueId> parameters; ///< trainable state, in state_dict order
  std::vector<ValueId> buffers;    ///< non-trainable state (running stats, counters)
};

/// Traces `model.forward` on a new input `inputName` of `inputType` into `graph` in
/// `mode`. Parameters and buffers become state nodes named as in PyTorch's state_dict.
Traced trace(Module &model, Graph &graph, const Type &inputType, Mode mode,
             std::string inputName = "x");

} // namespace kiln
