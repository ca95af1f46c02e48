// kiln::Value: a symbolic tensor of the DSL. It names one node of the graph being
// traced; every operation on it appends nodes (nothing is computed). Arithmetic
// broadcasts numpy-style by inserting explicit broadcast nodes, so the IR keeps its rule
// that elementwise operands have identical shapes.
#pragma once

#include "kiln/frontend/Tracer.h"

#include <cassert>
#include <vector>

namespace kiln {

class Value {
public:
  /// An empty value; only assignable.
  Value() = default;
  Value(Tracer &tracer, ValueId id) : tracer_(&tracer), id_(id) {}

  bool defined() const { return tracer_ != nullptr; }
  ValueId id() const { return id_; }
  Tracer &tracer() const {
    assert(tracer_ && "Value: use of an empty value");
    return *tracer_;
  }
  Graph &graph() const { return tracer().graph(); }
  /// Type and shape by value: appending nodes may move the graph's storage.
  Type type() const { return graph().type(id_); }
  Shape shape() const { return graph().type(id_).shape; }
  DType dtype() const { return graph().type(id_).dtype; }
  int64_t rank() const { return graph().type(id_).rank(); }
  /// Size of dimension `axis`; negative axes count from the end.
  int64_t dim(int64_t axis) const;
  int64_t numel() const { return graph().type(id_).numElements(); }

  /// PyTorch's view/reshape: one entry may be -1 and is inferred. Throws kiln::Error
  /// when the element counts differ.
  Value view(const std::vector<int64_t> &shape) const;
  Value reshape(const std::vector<int64_t> &shape) const { return view(shape); }
  /// Merges dimensions startDim..endDim into one (torch.flatten).
  Value flatten(int64_t startDim = 0, int64_t endDim = -1) const;
  Value unsqueeze(int64_t axis) const;
  /// Removes `axis`, which must have size 1.
  Value squeeze(int64_t axis) const;
  /// Swaps two dimensions.
  Value transpose(int64_t dim0, int64_t dim1) const;
  /// Result dimension i is operand dimension perm[i].
  Value permute(const std::vector<int64_t> &perm) const;
  /// Numpy-style broadcast to `shape`.
  Value expand(const Shape &shape) const;
  /// Elements start..end-1 (stepping by `step`) along `axis`; negative bounds count
  /// from the end as in Python.
  Value slice(int64_t axis, int64_t start, int64_t end, int64_t step = 1) const;
  /// `chunks` equal pieces along `axis` (the size must divide evenly).
  std::vector<Value> chunk(int64_t chunks, int64_t axis) const;
  /// Converts the element type.
  Value to(DType dtype) const;

  /// Reductions over all axes.
  Value sum() const;
  Value mean() const;
  Value max() const;
  /// Reductions over `axes` (negative allowed); `keepdim` keeps them with size 1.
  Value sum(const std::vector<int64_t> &axes, bool keepdim = false) const;
  Value mean(const std::vector<int64_t> &axes, bool keepdim = false) const;
  Value max(const std::vector<int64_t> &axes, bool keepdim = false) const;
  /// Index (i32) of the first maximum along `axis`.
  Value argmax(int64_t axis) const;

private:
  Tracer *tracer_ = nullptr;
  ValueId id_ = -1;
};

Value operator+(const Value &a, const Value &b);
Value operator-(const Value &a, const Value &b);
Value operator*(const Value &a, const Value &b);
Value operator/(const Value &a, const Value &b);
Value operator+(const Value &a, double b);
Value operator-(const Value &a, double b);
Value operator*(const Value &a, double b);
Value operator/(const Value &a, double b);
Value operator+(double a, const Value &b);
Value operator-(double a, const Value &b);
Value operator*(double a, const Value &b);
Value operator/(double a, const Value &b);
Value operator-(const Value &a);

/// Elementwise maximum / minimum with broadcasting.
Value maximum(const Value &a, const Value &b);
Value minimum(const Value &a, const Value &b);
Value exp(const Value &x);
Value log(const Value &x);
Value sqrt(const Value &x);
Value rsqrt(const Value &x);
Value abs(const Value &x);
/// x ** exponent, elementwise.
Value pow(const Value &x, double exponent);
/// Chooses a where `condition` (bool) holds, else b; all three broadcast together.
Value where(const Value &condition, const Value &a, const Value &b);

/// [M,K]x[K,N] or batched [B,M,K]x[B,K,N], with optional transposes of the last two
/// dimensions.
Value matmul(const Value &a, const Value &b, bool transposeA = false, bool transposeB = false);
/// Concatenates along `axis`; the values must agree elsewhere.
Value cat(const std::vector<Value> &values, int64_t axis);
/// Stacks equal-shaped values along a new axis.
Value stack(const std::vector<Value> &values, int64_t axis);

} // namespace kiln
