// Reduction kernels: reduce_sum, reduce_mean, reduce_max over any set of axes, and
// argmax along one axis.
//
// Sums walk the input in memory order with forEachRun while the output offset uses
// stride 0 on reduced axes, so every element lands in its output cell in one pass
// whatever the axes are. f32 sums accumulate in double (the oracle should be the
// accurate side of any comparison); i32 sums wrap around like i32 addition.
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/KernelFamilies.h"
#include "kiln/runtime/interp/StridedLoop.h"

#include <algorithm>
#include <limits>

namespace kiln::interp {

namespace {

/// Output strides seen from the input's index space: 0 along reduced axes.
std::vector<int64_t> reducedStrides(const Shape &input, const std::vector<int64_t> &axes) {
  Shape kept;
  for (size_t i = 0; i < input.size(); ++i)
    if (std::find(axes.begin(), axes.end(), int64_t(i)) == axes.end())
      kept.push_back(input[i]);
  std::vector<int64_t> keptStrides = rowMajorStrides(kept), strides(input.size(), 0);
  for (size_t i = 0, k = 0; i < input.size(); ++i)
    if (std::find(axes.begin(), axes.end(), int64_t(i)) == axes.end())
      strides[i] = keptStrides[k++];
  return strides;
}

template <typename Acc, typename T, typename Combine>
std::vector<Acc> accumulate(const Tensor &x, const std::vector<int64_t> &axes, int64_t outSize,
                            Acc init, Combine combine) {
  std::vector<Acc> acc(static_cast<size_t>(outSize), init);
  const T *in = x.data<T>().data();
  forEachRun<2>(x.shape(), {rowMajorStrides(x.shape()), reducedStrides(x.shape(), axes)}, {0, 0},
                [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> step) {
                  const T *a = in + off[0];
                  Acc *o = acc.data() + off[1];
                  if (step[1] == 0) {
                    // Four independent partial results hide the latency of `combine`.
                    Acc r[4] = {init, init, init, init};
                    int64_t j = 0;
                    for (; j + 4 <= n; j += 4)
                      for (int64_t l = 0; l < 4; ++l)
                        r[l] = combine(r[l], Acc(a[(j + l) * step[0]]));
                    for (; j < n; ++j)
                      r[0] = combine(r[0], Acc(a[j * step[0]]));
                    *o = combine(*o, combine(combine(r[0], r[1]), combine(r[2], r[3])));
                  } else {
                    for (int64_t j = 0; j < n; ++j)
                      o[j * step[1]] = combine(o[j * step[1]], Acc(a[j * step[0]]));
                  }
                });
  return acc;
}

template <typename T>
Tensor reduceTyped(ReduceOp op, const Tensor &x, const std::vector<int64_t> &axes,
                   const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  std::span<T> o = out.data<T>();
  int64_t n = result.numElements();
  switch (op) {
  case ReduceOp::Sum:
  case ReduceOp::Mean: {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    std::vector<Acc> acc =
        accumulate<Acc, T>(x, axes, n, Acc(0), [](Acc a, Acc b) { return a + b; });
    int64_t count = 1;
    for (int64_t a : axes)
      count *= x.shape()[a];
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_floating_point_v<T>)
        o[i] = static_cast<T>(op == ReduceOp::Mean ? acc[i] / double(count) : acc[i]);
      else // i32 wraps: keep the low 32 bits of the exact sum
        o[i] = static_cast<T>(static_cast<uint32_t>(static_cast<uint64_t>(acc[i])));
    }
    return out;
  }
  case ReduceOp::Max: {
    T lowest = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                    : std::numeric_limits<T>::lowest();
    std::vector<T> acc =
        accumulate<T, T>(x, axes, n, lowest, [](T a, T b) { return maxValue(a, b); });
    std::copy(acc.begin(), acc.end(), o.begin());
    return out;
  }
  }
  unreachable("unknown reduction");
}

} // namespace

Tensor reduceKernel(ReduceOp op, const Tensor &x, const std::vector<int64_t> &axes,
                    const Type &result) {
  return visitDType(x.dtype(), [&](auto tag) -> Tensor {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, uint8_t>)
      unreachable("reduction of bool");
    else
      return reduceTyped<T>(op, x, axes, result);
  });
}

Tensor argmaxKernel(const Tensor &x, int64_t axis, const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  const Shape &shape = x.shape();
  int64_t n = shape[axis], inner = 1, outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  std::span<int32_t> o = out.data<int32_t>();
  visitDType(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>().data();
    // Row k of each [n, inner] block competes with the best so far, position by
    // position, so the scan stays contiguous in memory.
    std::vector<T> best(static_cast<size_t>(inner));
    for (int64_t b = 0; b < outer; ++b) {
      const T *block = in + b * n * inner;
      int32_t *idx = o.data() + b * inner;
      std::copy(block, block + inner, best.begin());
      std::fill(idx, idx + inner, 0);
      for (int64_t k = 1; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j)
          if (beatsMax(block[k * inner + j], best[j])) {
            best[j] = block[k * inner + j];
            idx[j] = static_cast<int32_t>(k);
          }
    }
  });
  return out;
}

} // namespace kiln::interp
