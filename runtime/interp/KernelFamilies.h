// Internal to the interpreter: the kernel families evalNode dispatches to. Each family
// has a small enum of its own so its switches stay exhaustive without listing every
// OpKind; Kernels.cpp holds the one switch over OpKind that maps ops to families.
// Kernels trust that the shape rule accepted their operands (evalNode checks that).
#pragma once

#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/OpGroups.h"
#include "kiln/runtime/Tensor.h"

#include <array>
#include <span>
#include <string>
#include <vector>

namespace kiln::interp {

// ---- sources (SourceKernels.cpp) ----------------------------------------------------
/// {value} splat or {data} list, converted to `type`'s dtype.
Tensor constantKernel(const Type &type, const std::vector<double> &data, double splat,
                      bool useData);
/// Each element is its index along `axis`.
Tensor iotaKernel(const Type &type, int64_t axis);
/// Element i is uniformFloat(seed, counter, i). The i32 counter is sign-extended to the
/// 64-bit step (counters are never negative in practice).
/// Element i is draw `offset + i` of the stream (seed, counter).
Tensor randomUniformKernel(const Type &type, int64_t seed, int64_t offset, const Tensor &counter);

// ---- elementwise (ElementwiseKernels.cpp) -------------------------------------------
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };

/// Any elementwise op: the plain ones through their Scalar<Op> (ScalarOps.h), the rest
/// through the kernels below. `result` is the shape rule's type.
Tensor elementwiseKernel(ElementwiseOp op, std::span<const Tensor> in, const Attrs &attrs,
                         const Type &result);
Tensor convertKernel(const Tensor &x, DType to);
/// Parses a compare direction ("eq", "lt", ...) checked by the shape rule.
CompareOp compareOp(const std::string &direction);
Tensor compareKernel(CompareOp op, const Tensor &a, const Tensor &b);
Tensor selectKernel(const Tensor &pred, const Tensor &onTrue, const Tensor &onFalse);

// ---- reductions (ReduceKernels.cpp) -------------------------------------------------
enum class ReduceOp { Sum, Max, Mean };

/// Reduces `axes` away; `result` is the shape rule's type.
Tensor reduceKernel(ReduceOp op, const Tensor &x, const std::vector<int64_t> &axes,
                    const Type &result);
/// i32 index of the first maximum along `axis` (NaN counts as the maximum).
Tensor argmaxKernel(const Tensor &x, int64_t axis, const Type &result);

// ---- contractions (MatmulKernels.cpp, ConvKernels.cpp) ------------------------------
Tensor matmulKernel(const Tensor &a, const Tensor &b, bool transposeA, bool transposeB,
                    const Type &result);

// The attributes come as the shape rules read them (ir/OpAttrs.h).
Tensor conv2dKernel(const Tensor &x, const Tensor &w, const ConvAttrs &p, const Type &result);
/// The adjoint of conv2d in x: dx from dy and w (a transposed convolution).
Tensor conv2dInputGradKernel(const Tensor &dy, const Tensor &w, const ConvAttrs &p,
                             const Type &result);
/// The adjoint of conv2d in w: dw from x and dy.
Tensor conv2dFilterGradKernel(const Tensor &x, const Tensor &dy, const ConvAttrs &p,
                              const Type &result);

// ---- windows (PoolKernels.cpp) ------------------------------------------------------
Tensor maxPool2dKernel(const Tensor &x, const WindowAttrs &p, const Type &result);
Tensor maxPool2dGradKernel(const Tensor &x, const Tensor &dy, const WindowAttrs &p);
Tensor avgPool2dKernel(const Tensor &x, const WindowAttrs &p, const Type &result);
Tensor avgPool2dGradKernel(const Tensor &dy, const WindowAttrs &p, const Type &result);

// ---- layout (LayoutKernels.cpp) -----------------------------------------------------
/// Same elements, new shape; a copy, so results never alias operands.
Tensor reshapeKernel(const Tensor &x, const Type &result);
Tensor transposeKernel(const Tensor &x, const std::vector<int64_t> &perm, const Type &result);
Tensor broadcastKernel(const Tensor &x, const std::vector<int64_t> &dims, const Type &result);
Tensor sliceKernel(const Tensor &x, const std::vector<int64_t> &start,
                   const std::vector<int64_t> &stride, const Type &result);
Tensor concatKernel(std::span<const Tensor> parts, int64_t axis, const Type &result);
Tensor padKernel(const Tensor &x, const std::vector<int64_t> &low, double value,
                 const Type &result);
/// One row of `depth` per index; an index outside [0, depth) gives a row of zeros.
Tensor oneHotKernel(const Tensor &indices, const Type &result);

/// x summed (or averaged) over the ranks of the current communicator
/// (runtime/Communicator.h); x itself, copied, in a single process.
Tensor allReduceKernel(const Tensor &x, bool mean);

} // namespace kiln::interp
