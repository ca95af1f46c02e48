// Kernels of the source ops: constant, iota and random_uniform.
#include "kiln/runtime/Random.h"
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/KernelFamilies.h"

namespace kiln::interp {

Tensor constantKernel(const Type &type, const std::vector<double> &data, double splat,
                      bool useData) {
  Tensor out = Tensor::uninitialized(type);
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
  Tensor out = Tensor::uninitialized(type);
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

namespace {
/// uniformFloat(seed, step, base + l) for l in [0, kLanes): Philox4x32-10 exactly as
/// runtime/Random.h computes it, written lane by lane so the compiler vectorizes it
/// (the tests compare every element with uniformFloat).
constexpr int kLanes = 16;
void uniformLanes(uint64_t seed, uint64_t step, uint64_t base, float *out) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    uint64_t index = base + uint64_t(l);
    c0[l] = uint32_t(index);
    c1[l] = uint32_t(index >> 32);
    c2[l] = uint32_t(step);
    c3[l] = uint32_t(step >> 32);
  }
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    for (int l = 0; l < kLanes; ++l) {
      uint64_t p0 = uint64_t(kMul0) * c0[l], p1 = uint64_t(kMul1) * c2[l];
      uint32_t n0 = uint32_t(p1 >> 32) ^ c1[l] ^ k0, n2 = uint32_t(p0 >> 32) ^ c3[l] ^ k1;
      c1[l] = uint32_t(p1);
      c3[l] = uint32_t(p0);
      c0[l] = n0;
      c2[l] = n2;
    }
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  for (int l = 0; l < kLanes; ++l)
    out[l] = float(c0[l] >> 8) * (1.0f / 16777216.0f);
}
} // namespace

Tensor randomUniformKernel(const Type &type, int64_t seed, int64_t offset, const Tensor &counter) {
  Tensor out = Tensor::uninitialized(type);
  auto step = static_cast<uint64_t>(static_cast<int64_t>(counter.data<int32_t>()[0]));
  auto key = static_cast<uint64_t>(seed);
  auto first = static_cast<uint64_t>(offset);
  std::span<float> o = out.data<float>();
  size_t i = 0;
  for (; i + kLanes <= o.size(); i += kLanes)
    uniformLanes(key, step, first + i, o.data() + i);
  for (; i < o.size(); ++i)
    o[i] = uniformFloat(key, step, first + i);
  return out;
}

} // namespace kiln::interp
