// IRBuilder: appends nodes to a Graph under a current scope, with short spellings for
// the ops that gradient rules and layers use most. It adds no semantics of its own:
// every call is one Graph::add (or a few, for the documented helpers).
#pragma once

#include "kiln/ir/Graph.h"

#include <string>
#include <vector>

namespace kiln {

class IRBuilder {
public:
  explicit IRBuilder(Graph &graph, std::string scope = {})
      : graph_(graph), scope_(std::move(scope)) {}

  Graph &graph() { return graph_; }
  const Type &type(ValueId v) const { return graph_.type(v); }
  const std::string &scope() const { return scope_; }

  /// Enters `name` below the current scope ("fc1" then "relu" gives "fc1/relu") until
  /// the returned guard dies.
  class ScopeGuard {
  public:
    ScopeGuard(IRBuilder &b, std::string saved) : b_(b), saved_(std::move(saved)) {}
    ~ScopeGuard() { b_.scope_ = std::move(saved_); }
    ScopeGuard(const ScopeGuard &) = delete;
    ScopeGuard &operator=(const ScopeGuard &) = delete;

  private:
    IRBuilder &b_;
    std::string saved_;
  };
  [[nodiscard]] ScopeGuard enter(const std::string &name) {
    std::string saved = scope_;
    scope_ = scope_.empty() ? name : scope_ + "/" + name;
    return ScopeGuard(*this, std::move(saved));
  }

  ValueId op(OpKind kind, std::vector<ValueId> operands, Attrs attrs = {}) {
    return graph_.add(kind, std::move(operands), std::move(attrs), scope_);
  }

  /// A scalar constant of `dtype`, broadcast to `shape` when that is not a scalar.
  ValueId constant(double value, DType dtype, const Shape &shape = {});
  /// A constant with the type of `like`.
  ValueId constantLike(double value, ValueId like) {
    return constant(value, type(like).dtype, type(like).shape);
  }
  /// Broadcasts `v` to `shape`, operand dim i going to result dim dims[i].
  ValueId broadcast(ValueId v, const Shape &shape, std::vector<int64_t> dims);
  /// Numpy-style broadcast of `v` to `shape` (trailing dimensions aligned); no node
  /// when the shapes already agree.
  ValueId broadcastTo(ValueId v, const Shape &shape);
  ValueId reshape(ValueId v, const Shape &shape);
  ValueId transpose(ValueId v, std::vector<int64_t> perm);
  ValueId reduceSum(ValueId v, std::vector<int64_t> axes);
  ValueId convert(ValueId v, DType dtype);

  ValueId neg(ValueId a) { return op(OpKind::Neg, {a}); }
  ValueId exp(ValueId a) { return op(OpKind::Exp, {a}); }
  ValueId log(ValueId a) { return op(OpKind::Log, {a}); }
  ValueId add(ValueId a, ValueId b) { return op(OpKind::Add, {a, b}); }
  ValueId sub(ValueId a, ValueId b) { return op(OpKind::Sub, {a, b}); }
  ValueId mul(ValueId a, ValueId b) { return op(OpKind::Mul, {a, b}); }
  ValueId div(ValueId a, ValueId b) { return op(OpKind::Div, {a, b}); }
  ValueId compare(ValueId a, ValueId b, const std::string &direction) {
    return op(OpKind::Compare, {a, b}, {{"direction", direction}});
  }
  ValueId select(ValueId pred, ValueId onTrue, ValueId onFalse) {
    return op(OpKind::Select, {pred, onTrue, onFalse});
  }

private:
  Graph &graph_;
  std::string scope_;
};

} // namespace kiln
