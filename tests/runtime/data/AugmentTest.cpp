// Augmentation: the resampling (identity, shifts, rotations) and the per-sample draws.
#include "DataTestUtil.h"

#include "kiln/runtime/data/Augment.h"

#include <catch2/catch.hpp>

#include <set>

using namespace kiln;
using namespace kiln::test;

namespace {

std::vector<float> transformed(const Bytes &src, int64_t h, int64_t w, AugmentParams params) {
  std::vector<float> dst(src.size(), -1.0f);
  transformImage(src, h, w, params, dst);
  return dst;
}

std::vector<float> asFloats(const Bytes &src) { return {src.begin(), src.end()}; }

} // namespace

TEST_CASE("transformImage with no shift and no rotation is the identity", "[data][augment]") {
  int64_t h = GENERATE(28, 5), w = GENERATE(28, 6);
  Bytes src = syntheticImages(1, h, w);
  CHECK(transformed(src, h, w, {}) == asFloats(src));
}

TEST_CASE("transformImage shifts by whole pixels with zero fill", "[data][augment]") {
  const int64_t h = 7, w = 9;
  Bytes src = syntheticImages(1, h, w);
  int dx = GENERATE(-2, 0, 3), dy = GENERATE(-1, 0, 2);
  std::vector<float> expected(src.size());
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      int64_t sx = x - dx, sy = y - dy;
      bool inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
      expected[size_t(y * w + x)] = inside ? src[size_t(sy * w + sx)] : 0.0f;
    }
  CHECK(transformed(src, h, w, {dx, dy, 0}) == expected);
}

TEST_CASE("transformImage rotates counter-clockwise about the centre", "[data][augment]") {
  const int64_t n = 7;
  Bytes src = syntheticImages(1, n, n);
  SECTION("90 degrees") {
    // Counter-clockwise on screen (y down): out(y, x) = src(x, n-1-y).
    std::vector<float> out = transformed(src, n, n, {0, 0, 90});
    for (int64_t y = 0; y < n; ++y)
      for (int64_t x = 0; x < n; ++x)
        CHECK(out[size_t(y * n + x)] == Approx(src[size_t(x * n + (n - 1 - y))]).margin(1e-3));
  }
  SECTION("180 degrees") {
    std::vector<float> out = transformed(src, n, n, {0, 0, 180});
    for (int64_t i = 0; i < n * n; ++i)
      CHECK(out[size_t(i)] == Approx(src[size_t(n * n - 1 - i)]).margin(1e-3));
  }
  SECTION("a small angle blends neighbours and keeps the centre") {
    std::vector<float> out = transformed(src, n, n, {0, 0, 10});
    CHECK(out[size_t(3 * n + 3)] == src[size_t(3 * n + 3)]);
    CHECK(out != asFloats(src));
    for (float v : out)
      CHECK((v >= 0 && v <= 255));
  }
}

TEST_CASE("transformImage fills what rotates in from outside with zeros", "[data][augment]") {
  const int64_t n = 8;
  Bytes src(size_t(n * n), 255);
  std::vector<float> out = transformed(src, n, n, {0, 0, 45});
  CHECK(out[0] == 0.0f); // a corner comes from outside the image
  CHECK(out[size_t(3 * n + 3)] == Approx(255.0f));
}

TEST_CASE("drawAugmentation is reproducible and within its bounds", "[data][augment]") {
  Augmentation augment{.enabled = true, .maxShift = 2, .maxRotationDegrees = 10};
  std::set<int> shifts;
  float minAngle = 0, maxAngle = 0;
  for (int64_t sample = 0; sample < 2000; ++sample) {
    AugmentParams p = drawAugmentation(augment, /*seed=*/5, /*epoch=*/1, sample);
    AugmentParams q = drawAugmentation(augment, 5, 1, sample);
    CHECK((p.shiftX == q.shiftX && p.shiftY == q.shiftY && p.angleDegrees == q.angleDegrees));
    CHECK((p.shiftX >= -2 && p.shiftX <= 2 && p.shiftY >= -2 && p.shiftY <= 2));
    CHECK((p.angleDegrees >= -10 && p.angleDegrees <= 10));
    shifts.insert(p.shiftX);
    shifts.insert(p.shiftY);
    minAngle = std::min(minAngle, p.angleDegrees);
    maxAngle = std::max(maxAngle, p.angleDegrees);
  }
  CHECK(shifts == std::set<int>{-2, -1, 0, 1, 2});
  CHECK(minAngle < -9.5f);
  CHECK(maxAngle > 9.5f);
}

TEST_CASE("drawAugmentation differs between samples, epochs and seeds", "[data][augment]") {
  Augmentation augment{.enabled = true, .maxShift = 2, .maxRotationDegrees = 10};
  auto angle = [&](uint64_t seed, int64_t epoch, int64_t sample) {
    return drawAugmentation(augment, seed, epoch, sample).angleDegrees;
  };
  CHECK(angle(0, 0, 0) != angle(0, 0, 1));
  CHECK(angle(0, 0, 0) != angle(0, 1, 0));
  CHECK(angle(0, 0, 0) != angle(1, 0, 0));
}

TEST_CASE("drawAugmentation with zero bounds draws the identity", "[data][augment]") {
  Augmentation augment{.enabled = true, .maxShift = 0, .maxRotationDegrees = 0};
  for (int64_t sample = 0; sample < 100; ++sample) {
    AugmentParams p = drawAugmentation(augment, 3, 4, sample);
    CHECK((p.shiftX == 0 && p.shiftY == 0 && p.angleDegrees == 0));
  }
}
