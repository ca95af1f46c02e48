// Kernels of the source ops: constant, iota and random_uniform.
#include "runtime/Random.h"
#include "runtime/interp/Dispatch.h"
#include "runtime/interp/KernelFamilies.h"

namespace kiln::interp {

Tensor constantKernel(const Type &type, const std::vector<double> &data, double splat,
                      bool useData) {
  Tensor out(type);
  visitDType(type.dtype, [&](auto tag) {
    using T = decltype(tag);
    std::span<T> o = out.data<T>();
    if (useData) {
      for (size_t i = 0; i < o.size(); ++i)
        o[i] = convertValue<T>(data[i]);
    } else {
      std::fill(o.begin(), o.end(), convertValue<T>(splat));
    }
  });
  return out;
}

Tensor iotaKernel(const Type &type, int64_t axis) {
  Tensor out(type);
  // View the shape as [outer, n, inner]: the value only depends on the middle index.
  int64_t n = type.shape[axis], inner = 1;
  for (size_t d = axis + 1; d < type.shape.size(); ++d)
    inner *= type.shape[d];
  visitDType(type.dtype, [&](auto tag) {
    using T = decltype(tag);
    std::span<T> o = out.data<T>();
    for (size_t base = 0; base < o.size(); base += n * inner)
      for (int64_t i = 0; i < n; ++i)
        std::fill_n(o.begin() + base + i * inner, inner, convertValue<T>(i));
  });
  return out;
}

Tensor randomUniformKernel(const Type &type, int64_t seed, const Tensor &counter) {
  Tensor out(type);
  auto step = static_cast<uint64_t>(static_cast<int64_t>(counter.data<int32_t>()[0]));
  std::span<float> o = out.data<float>();
  for (size_t i = 0; i < o.size(); ++i)
    o[i] = uniformFloat(static_cast<uint64_t>(seed), step, i);
  return out;
}

} // namespace kiln::interp
