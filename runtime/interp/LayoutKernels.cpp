// Layout kernels: reshape, transpose, broadcast, slice, concat, pad and one_hot.
// They move elements without looking at them, so the strided ones are written once per
// element size (1, 4 or 8 bytes) rather than once per dtype, and all of them are
// forEachRun walks with the right strides:
//   transpose  output in order, input strides permuted;
//   broadcast  output in order, input stride 0 on expanded and new dimensions;
//   slice      output in order, input strides scaled by the slice stride from `start`;
//   pad        input in order, output strides from the `low` corner of a filled result.
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/KernelFamilies.h"
#include "kiln/runtime/interp/StridedLoop.h"

#include <cstring>

namespace kiln::interp {

namespace {

/// Calls f(U{}) with an unsigned integer type as wide as one element of `dtype`.
template <typename F> void visitElementSize(DType dtype, F &&f) {
  switch (dtypeSize(dtype)) {
  case 1:
    return f(uint8_t{});
  case 4:
    return f(uint32_t{});
  case 8:
    return f(uint64_t{});
  }
  unreachable("unexpected element size");
}

/// Copies index space `shape` from `in` to `out`, each walked with its own strides from
/// its own base offset (all in elements).
void stridedCopy(const Tensor &in, Tensor &out, const Shape &shape, std::vector<int64_t> inStrides,
                 int64_t inBase, std::vector<int64_t> outStrides, int64_t outBase) {
  visitElementSize(in.dtype(), [&](auto tag) {
    using U = decltype(tag);
    const U *src = reinterpret_cast<const U *>(in.raw());
    U *dst = reinterpret_cast<U *>(out.raw());
    forEachRun<2>(shape, {std::move(outStrides), std::move(inStrides)}, {outBase, inBase},
                  [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> step) {
                    U *o = dst + off[0];
                    const U *a = src + off[1];
                    if (step[0] == 1 && step[1] == 1)
                      std::memcpy(o, a, static_cast<size_t>(n) * sizeof(U));
                    else if (step[0] == 1 && step[1] == 0)
                      std::fill_n(o, n, *a);
                    else
                      for (int64_t j = 0; j < n; ++j)
                        o[j * step[0]] = a[j * step[1]];
                  });
  });
}

} // namespace

Tensor reshapeKernel(const Tensor &x, const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  if (x.byteSize())
    std::memcpy(out.raw(), x.raw(), x.byteSize());
  return out;
}

Tensor transposeKernel(const Tensor &x, const std::vector<int64_t> &perm, const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  std::vector<int64_t> xStrides = rowMajorStrides(x.shape()), inStrides;
  for (int64_t p : perm)
    inStrides.push_back(xStrides[p]);
  stridedCopy(x, out, result.shape, inStrides, 0, rowMajorStrides(result.shape), 0);
  return out;
}

Tensor broadcastKernel(const Tensor &x, const std::vector<int64_t> &dims, const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  std::vector<int64_t> xStrides = rowMajorStrides(x.shape());
  std::vector<int64_t> inStrides(result.shape.size(), 0);
  for (size_t i = 0; i < dims.size(); ++i)
    if (x.shape()[i] != 1)
      inStrides[dims[i]] = xStrides[i];
  stridedCopy(x, out, result.shape, inStrides, 0, rowMajorStrides(result.shape), 0);
  return out;
}

Tensor sliceKernel(const Tensor &x, const std::vector<int64_t> &start,
                   const std::vector<int64_t> &stride, const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  std::vector<int64_t> xStrides = rowMajorStrides(x.shape()), inStrides;
  int64_t base = 0;
  for (size_t i = 0; i < xStrides.size(); ++i) {
    inStrides.push_back(xStrides[i] * stride[i]);
    base += start[i] * xStrides[i];
  }
  stridedCopy(x, out, result.shape, inStrides, base, rowMajorStrides(result.shape), 0);
  return out;
}

Tensor concatKernel(std::span<const Tensor> parts, int64_t axis, const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  // Each part contributes one contiguous chunk per index of the dimensions before `axis`.
  int64_t outer = 1, inner = static_cast<int64_t>(dtypeSize(result.dtype));
  for (int64_t d = 0; d < axis; ++d)
    outer *= result.shape[d];
  for (size_t d = axis + 1; d < result.shape.size(); ++d)
    inner *= result.shape[d];
  int64_t rowBytes = result.shape[axis] * inner, offset = 0;
  for (const Tensor &part : parts) {
    int64_t chunk = part.shape()[axis] * inner;
    for (int64_t i = 0; i < outer && chunk > 0; ++i)
      std::memcpy(out.raw() + i * rowBytes + offset, part.raw() + i * chunk,
                  static_cast<size_t>(chunk));
    offset += chunk;
  }
  return out;
}

Tensor padKernel(const Tensor &x, const std::vector<int64_t> &low, double value,
                 const Type &result) {
  Tensor out = Tensor::uninitialized(result);
  visitDType(result.dtype, [&](auto tag) {
    using T = decltype(tag);
    std::span<T> o = out.data<T>();
    std::fill(o.begin(), o.end(), convertValue<T>(value));
  });
  std::vector<int64_t> outStrides = rowMajorStrides(result.shape);
  int64_t base = 0;
  for (size_t i = 0; i < low.size(); ++i)
    base += low[i] * outStrides[i];
  stridedCopy(x, out, x.shape(), rowMajorStrides(x.shape()), 0, outStrides, base);
  return out;
}

Tensor oneHotKernel(const Tensor &indices, const Type &result) {
  Tensor out(result); // zero-filled
  int64_t depth = result.shape.back();
  std::span<const int32_t> idx = indices.data<int32_t>();
  visitDType(result.dtype, [&](auto tag) {
    using T = decltype(tag);
    std::span<T> o = out.data<T>();
    for (size_t i = 0; i < idx.size(); ++i)
      if (idx[i] >= 0 && idx[i] < depth)
        o[i * depth + idx[i]] = convertValue<T>(1);
  });
  return out;
}

} // namespace kiln::interp
