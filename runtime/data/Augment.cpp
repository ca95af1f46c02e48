// Augmentation by inverse mapping: for each output pixel p, the source point is
// R(-angle)(p - centre - shift) + centre, read bilinearly with zeros outside the image.
// At angle 0 and whole-pixel shifts every source point is a pixel centre, so the weights
// are exactly 0 and 1 and the image is copied (and shifted) exactly.
#include "kiln/runtime/data/Augment.h"

#include "kiln/runtime/data/Shuffle.h"

#include "kiln/runtime/Random.h"

#include <cassert>
#include <cmath>
#include <numbers>

namespace kiln {

namespace {
/// Augmentation draws use counters far above the shuffle's (2i, 2i+1), so the two never
/// share a random number.
constexpr uint64_t kAugmentCounterBase = uint64_t(1) << 62;
} // namespace

AugmentParams drawAugmentation(const Augmentation &augment, uint64_t seed, int64_t epoch,
                               int64_t sample) {
  const uint64_t step = static_cast<uint64_t>(epoch);
  const uint64_t counter = kAugmentCounterBase + 4 * static_cast<uint64_t>(sample);
  const uint64_t shifts = 2 * static_cast<uint64_t>(augment.maxShift) + 1;
  auto drawShift = [&](uint64_t k) {
    uint64_t bits = uint64_t(randomBits(seed, step, counter + k)) << 32;
    return static_cast<int>(uniformBelow(bits, shifts)) - augment.maxShift;
  };
  AugmentParams params;
  params.shiftX = drawShift(0);
  params.shiftY = drawShift(1);
  const float u = uniformFloat(seed, step, counter + 2);
  params.angleDegrees = (2 * u - 1) * augment.maxRotationDegrees;
  return params;
}

void transformImage(std::span<const uint8_t> src, int64_t height, int64_t width,
                    const AugmentParams &params, std::span<float> dst) {
  assert(src.size() == size_t(height * width) && dst.size() == src.size() &&
         "transformImage: buffer sizes do not match the image");
  const float radians = params.angleDegrees * std::numbers::pi_v<float> / 180;
  const float c = std::cos(radians), s = std::sin(radians);
  const float cx = float(width - 1) / 2, cy = float(height - 1) / 2;
  auto pixel = [&](int64_t y, int64_t x) -> float {
    if (y < 0 || y >= height || x < 0 || x >= width)
      return 0;
    return src[size_t(y * width + x)];
  };
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      // Output point relative to the centre, before the shift was applied.
      const float u = float(x) - cx - float(params.shiftX);
      const float v = float(y) - cy - float(params.shiftY);
      // Undo a counter-clockwise (on screen, y down) rotation.
      const float sx = c * u - s * v + cx;
      const float sy = s * u + c * v + cy;
      const float fx0 = std::floor(sx), fy0 = std::floor(sy);
      const float ax = sx - fx0, ay = sy - fy0;
      const auto x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
      const float top = (1 - ax) * pixel(y0, x0) + ax * pixel(y0, x0 + 1);
      const float bottom = (1 - ax) * pixel(y0 + 1, x0) + ax * pixel(y0 + 1, x0 + 1);
      dst[size_t(y * width + x)] = (1 - ay) * top + ay * bottom;
    }
  }
}

} // namespace kiln
