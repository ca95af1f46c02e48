// Training-time augmentation of MNIST-like images: a random shift of a few pixels and a
// small rotation per sample, bilinear with zero fill. The parameters of a sample are a
// pure function of (seed, epoch, sample index), so a resumed run sees the same images.
#pragma once

#include <cstdint>
#include <span>

namespace kiln {

/// What the data loader may do to a training image.
struct Augmentation {
  bool enabled = false;
  /// Shifts are whole pixels, uniform in [-maxShift, maxShift] in x and in y.
  int maxShift = 2;
  /// Rotations are uniform in [-maxRotationDegrees, maxRotationDegrees].
  float maxRotationDegrees = 10;
};

/// The transform of one sample. Positive shifts move the content right and down; a
/// positive angle turns it counter-clockwise as displayed (torchvision's convention).
struct AugmentParams {
  int shiftX = 0;
  int shiftY = 0;
  float angleDegrees = 0;
};

/// The transform of dataset sample `sample` in epoch `epoch` of stream `seed`.
AugmentParams drawAugmentation(const Augmentation &augment, uint64_t seed, int64_t epoch,
                               int64_t sample);

/// Resamples the height x width image `src` under `params` into `dst` (pixel values as
/// floats, still in 0..255): rotation about the image centre, then the shift, bilinear
/// sampling, zero outside the source. Zero shift and angle reproduce `src` exactly.
void transformImage(std::span<const uint8_t> src, int64_t height, int64_t width,
                    const AugmentParams &params, std::span<float> dst);

} // namespace kiln
