// Typed attribute accessors, one per attribute family: each reads a node's dictionary
// with the defaults of AttrSchema.cpp applied and the values' ranges checked, so the
// shape rules, the interpreter, codegen and the gradient rules decode an attribute one
// way. The shape rules call them first, so on a verified graph they never throw.
#pragma once

#include "kiln/ir/Graph.h"

#include <array>
#include <cstdint>
#include <vector>

namespace kiln {

/// A spatial attribute: (height, width).
using Pair = std::array<int64_t, 2>;

/// matmul.
struct MatmulAttrs {
  bool transposeA = false, transposeB = false;
};
MatmulAttrs matmulAttrs(const Attrs &attrs);

/// conv2d, conv2d_input_grad and conv2d_filter_grad.
struct ConvAttrs {
  Pair stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
  Pair inputSize{0, 0}; ///< conv2d_input_grad: the (H, W) of the input it is the gradient of
  Pair kernel{0, 0};    ///< conv2d_filter_grad: the (KH, KW) of the filter
};
/// Throws kiln::Error for a stride, dilation or group count below 1 or a negative padding.
ConvAttrs convAttrs(const Attrs &attrs);

/// max_pool2d, max_pool2d_grad, avg_pool2d and avg_pool2d_grad.
struct WindowAttrs {
  Pair window{0, 0}, stride{0, 0}, padding{0, 0}; ///< stride defaults to the window
  Pair inputSize{0, 0}; ///< avg_pool2d_grad: the (H, W) of the pooled input
};
/// Throws kiln::Error for a window or stride below 1, or padding over half the window.
WindowAttrs windowAttrs(const Attrs &attrs);

/// slice: [start, limit) with `stride` per dimension (ones by default).
struct SliceAttrs {
  std::vector<int64_t> start, limit, stride;
};
SliceAttrs sliceAttrs(const Attrs &attrs);

/// pad: `low` and `high` cells per dimension, filled with `value`.
struct PadAttrs {
  std::vector<int64_t> low, high;
  double value = 0.0;
};
PadAttrs padAttrs(const Attrs &attrs);

/// The axes a reduction removes, in attribute order: reduce_*'s `axes`, argmax's `axis`.
std::vector<int64_t> reducedAxes(const Node &node);

} // namespace kiln
