// Internal helpers shared by the frontend's .cpp files: the scoped emitter every
// functional op uses, and the multi-node patterns (numpy broadcasting, reductions with
// keepdim, stable softmax) that several ops and layers are built from. Not part of the
// public DSL.
#pragma once

#include "kiln/frontend/Value.h"
#include "kiln/ir/Error.h"

#include <string>
#include <string_view>
#include <vector>

namespace kiln::detail {

/// Where one functional op applied to `anchor` emits its nodes: a builder scoped
/// "<owner>/<fn>" (see Tracer::functionBase), and the owner its results inherit.
class Emitter {
public:
  Emitter(const Value &anchor, std::string_view fn);

  IRBuilder &b() { return b_; }
  Tracer &tracer() { return tracer_; }
  const std::string &scope() const { return b_.scope(); }
  /// A result of this op, owned by the operand's layer.
  Value wrap(ValueId id) const { return tracer_.wrap(id, owner_); }

  /// Throws kiln::Error prefixed with this op's scope.
  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args &&...args) const {
    kiln::fail("{}: {}", scope(), fmt::format(format, std::forward<Args>(args)...));
  }

private:
  Tracer &tracer_;
  std::string owner_;
  IRBuilder b_;
};

/// `axis` in [0, rank), accepting Python-style negative axes.
int64_t normalizeAxis(const Emitter &e, int64_t axis, int64_t rank);
/// Sorted, normalized, duplicate-free axes.
std::vector<int64_t> normalizeAxes(const Emitter &e, std::vector<int64_t> axes, int64_t rank);

/// The numpy broadcast of two shapes (trailing dimensions aligned, 1 stretches).
Shape broadcastShapes(const Emitter &e, const Type &a, const Type &b);
/// `op` (elementwise, binary) on a and b after broadcasting both to a common shape.
ValueId binary(const Emitter &e, IRBuilder &b, OpKind op, ValueId x, ValueId y);
/// A reduction over normalized `axes`, optionally keeping them with size 1.
ValueId reduce(IRBuilder &b, OpKind op, ValueId x, const std::vector<int64_t> &axes, bool keepdim);
/// Broadcasts `reduced` (x reduced over `axes`, axes removed) back to `shape`.
ValueId expandReduced(IRBuilder &b, ValueId reduced, const Shape &shape,
                      const std::vector<int64_t> &axes);
/// exp(x - max) / sum(exp(x - max)) along `axis`.
ValueId softmax(IRBuilder &b, ValueId x, int64_t axis);
/// x - max - log(sum(exp(x - max))) along `axis`: finite for any finite logits.
ValueId logSoftmax(IRBuilder &b, ValueId x, int64_t axis);

} // namespace kiln::detail
