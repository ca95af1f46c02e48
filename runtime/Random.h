// Counter-based randomness (DESIGN §5): value = f(seed, step, index) with Philox4x32-10
// (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11). No generator
// state, so the interpreter, the JIT and a resumed run all draw the same numbers.
#pragma once

#include <array>
#include <cstdint>

namespace kiln {

/// Philox4x32 with 10 rounds: four 32-bit words from a 128-bit counter and 64-bit key.
constexpr std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter,
                                             std::array<uint32_t, 2> key) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(kMul0) * counter[0];
    uint64_t p1 = uint64_t(kMul1) * counter[2];
    counter = {uint32_t(p1 >> 32) ^ counter[1] ^ key[0], uint32_t(p1),
               uint32_t(p0 >> 32) ^ counter[3] ^ key[1], uint32_t(p0)};
    key = {key[0] + kWeyl0, key[1] + kWeyl1};
  }
  return counter;
}

/// 32 random bits for element `index` of draw `step` of stream `seed`.
constexpr uint32_t randomBits(uint64_t seed, uint64_t step, uint64_t index) {
  return philox4x32({uint32_t(index), uint32_t(index >> 32), uint32_t(step), uint32_t(step >> 32)},
                    {uint32_t(seed), uint32_t(seed >> 32)})[0];
}

/// A float in [0, 1) with 24 random bits: exactly representable in f32.
constexpr float uniformFloat(uint64_t seed, uint64_t step, uint64_t index) {
  return float(randomBits(seed, step, index) >> 8) * (1.0f / 16777216.0f);
}

} // namespace kiln
