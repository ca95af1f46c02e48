// The PNG figures of the tutorial: sample grid (spec §9-1), confusion-matrix heat map
// (§9-6) and misclassified digits (§9-7). All writes are atomic.
#pragma once

#include "kiln/runtime/Tensor.h"
#include "kiln/runtime/report/Metrics.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kiln {

/// A grayscale image, row-major, 0 = black and 255 = white (MNIST's raw bytes, shown as
/// matplotlib's imshow(cmap='gray') shows them).
struct GrayImage {
  int height = 0, width = 0;
  std::vector<uint8_t> pixels;

  /// Copies height*width bytes; throws kiln::Error if the sizes disagree.
  static GrayImage fromBytes(std::span<const uint8_t> bytes, int height, int width);
  /// A tensor of shape [H,W] or [1,H,W] (e.g. a normalized MNIST sample), mapped
  /// linearly from its min..max to 0..255 as imshow does.
  static GrayImage fromTensor(const Tensor &image);
  /// Reads a PNG file of any colour type and bit depth as 8-bit grey (libpng converts
  /// colour by luminance and composes alpha on black). kiln::Error naming the file if it
  /// cannot be read or is not a PNG.
  static GrayImage readPng(const std::string &path);
};

/// Each image in the grids below is drawn this many times its size.
inline constexpr int kImageScale = 4;

/// Spec §9-6: a heat map of `cm` in the Blues colormap with the count in each cell (dark
/// text on light cells, light on dark), class names on both axes, axis labels "True" and
/// "Predicted", `title` on top and a colour bar.
void writeConfusionMatrixPng(const std::string &path, const ConfusionMatrix &cm,
                             const std::vector<std::string> &classNames, const std::string &title);

/// Spec §9-7: the first `maxCount` misclassified images in rows of 5, each titled
/// "true T / pred P" in red, under `title`. truths and preds must match images in length.
void writeMisclassifiedPng(const std::string &path, const std::vector<GrayImage> &images,
                           const std::vector<int> &truths, const std::vector<int> &preds,
                           int maxCount = 10, const std::string &title = "Misclassified samples");

/// Spec §9-1: images in rows of `columns`, each titled "label: L", under `title`.
void writeSampleGridPng(const std::string &path, const std::vector<GrayImage> &images,
                        const std::vector<int> &labels, const std::string &title, int columns = 5);

} // namespace kiln
