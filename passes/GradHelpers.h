// Small graph-building helpers shared by the gradient rules: the adjoints of the layout
// ops that need more than one node (strided slice, broadcast) and of max_pool2d_grad
// with respect to its output gradient, plus attribute editing.
#pragma once

#include "kiln/ir/Builder.h"

#include <optional>

namespace kiln::grad {

/// A zero-filled value with the type of `like`.
ValueId zerosLike(IRBuilder &b, ValueId like);
/// `v * constant(factor)`, the constant broadcast to v's shape.
ValueId scale(IRBuilder &b, ValueId v, double factor);
/// `select(pred, v, 0)`: v where pred holds, zero elsewhere.
ValueId maskedOrZero(IRBuilder &b, ValueId pred, ValueId v);
/// `select(pred, 0, v)`: zero where pred holds, v elsewhere.
ValueId zeroOrMasked(IRBuilder &b, ValueId pred, ValueId v);

ValueId slice(IRBuilder &b, ValueId v, std::vector<int64_t> start, std::vector<int64_t> limit,
              std::optional<std::vector<int64_t>> stride = std::nullopt);
ValueId pad(IRBuilder &b, ValueId v, std::vector<int64_t> low, std::vector<int64_t> high,
            double value = 0.0);
ValueId matmul(IRBuilder &b, ValueId a, ValueId c, bool transposeA, bool transposeB);

/// The adjoint of slice{start, limit, stride} for an operand of `operandShape`: `dy`
/// scattered back to the sliced positions, zero elsewhere. Stride > 1 interleaves
/// zeros by reshaping [.., n, ..] to [.., n, 1, ..] and padding the new axis to the stride.
ValueId sliceAdjoint(IRBuilder &b, ValueId dy, Shape operandShape,
                     const std::vector<int64_t> &start, const std::vector<int64_t> &stride);

/// The adjoint of broadcast{dims}: sums `dy` over the new and the expanded dimensions,
/// then reshapes to `operandShape` (which restores the expanded size-1 dimensions).
ValueId broadcastAdjoint(IRBuilder &b, ValueId dy, Shape operandShape,
                         const std::vector<int64_t> &dims);

/// The adjoint of max_pool2d_grad(x, dy) with respect to dy: for each window, the value of
/// `dz` at the window's maximum of `x` (first maximum in row-major window order, padded
/// cells never win). Built from strided slices of the padded x and dz, one per window
/// offset, and a running compare/select scan over the offsets.
ValueId maxPoolGather(IRBuilder &b, ValueId x, ValueId dz, const Attrs &poolAttrs);

/// `attrs` without `key`.
Attrs without(const Attrs &attrs, std::string_view key);
/// `attrs` with `key` set to `value`.
Attrs with(Attrs attrs, std::string key, AttrValue value);

} // namespace kiln::grad
