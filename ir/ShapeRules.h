// The shape rule of every op: result type from operand types and attributes.
#pragma once

#include "kiln/ir/Attrs.h"
#include "kiln/ir/Op.h"
#include "kiln/ir/Type.h"

#include <vector>

namespace kiln {

/// Infers the result type of `op` applied to operands of `operands` types.
/// Throws kiln::Error with a message that names the offending dimension or attribute
/// (without the op name: Graph::add adds that context). Not for Input and State, whose
/// types are declared.
Type inferType(OpKind op, const std::vector<Type> &operands, const Attrs &attrs);

/// Whether a reshape from `from` to `to` only inserts or removes dimensions of size 1:
/// then element [i...] of the result is the operand's element at the same non-unit
/// indices, an index mapping without division.
bool onlyUnitDims(const Shape &from, const Shape &to);

/// Output spatial size of a convolution/pooling window along one axis;
/// throws kiln::Error if the window does not fit in the padded input.
int64_t windowOutputSize(int64_t input, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, const char *axis);

} // namespace kiln
