// MNIST-format data sets (MNIST, Fashion-MNIST): a pair of IDX files, images u8[N,H,W]
// and labels u8[N] with classes 0..9, found in a directory under any of their usual names.
#pragma once

#include "kiln/runtime/data/Dataset.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kiln {

/// Which half of the data set: the 60000 training or the 10000 test samples.
enum class Split { Train, Test };

/// Images and labels of one split, kept as the bytes of the files.
struct MnistDataset : Dataset {
  static constexpr int kNumClasses = 10;

  int64_t height = 0;
  int64_t width = 0;
  /// Row-major u8[size(), height, width] pixels, 0 = background.
  std::vector<uint8_t> images;
  /// One class in 0..9 per image.
  std::vector<uint8_t> labels;
  /// What the classes are called in reports; empty means the digits "0".."9".
  std::vector<std::string> classNames;

  int64_t size() const override { return static_cast<int64_t>(labels.size()); }
  /// The height*width pixels of image `i`.
  std::span<const uint8_t> image(int64_t i) const {
    const size_t pixels = static_cast<size_t>(height * width);
    return {images.data() + static_cast<size_t>(i) * pixels, pixels};
  }

  Shape sampleShape() const override { return {1, height, width}; }
  int64_t numClasses() const override { return kNumClasses; }
  int32_t label(int64_t i) const override { return labels[static_cast<size_t>(i)]; }
  void read(int64_t i, std::span<float> out) const override;
  const MnistDataset *imageSet() const override { return this; }
};

/// The names a split's file is looked for under, in order of preference: e.g.
/// "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte",
/// "train-images.idx3-ubyte.gz".
std::vector<std::string> mnistFileNames(Split split, bool images);

/// The class names of a data set for reports: its classNames, or the digits "0".."9".
std::vector<std::string> reportClassNames(const MnistDataset &data);

/// Fashion-MNIST's ten classes, in label order ("T-shirt/top", "Trouser", ...).
std::vector<std::string> fashionMnistClassNames();

/// Loads a split from `dir`. Fails with a kiln::Error when a file is missing (listing
/// the names looked for and suggesting scripts/fetch_mnist.sh), is not a valid IDX file,
/// or when the image and label counts differ or a label is not in 0..9. The files do not
/// say what their classes are, so a folder whose name contains "fashion" (Debian's
/// /usr/share/datasets/fashion-mnist) gets Fashion-MNIST's class names, any other none.
MnistDataset loadMnist(const std::string &dir, Split split);

/// The shape of one image of a split, {1, height, width}, from the images file's header
/// alone (so a model can be checked against the data before it is read).
Shape mnistSampleShape(const std::string &dir, Split split);

/// Loads a data set from an explicit pair of IDX files (raw or gzip'd), with the checks
/// of loadMnist.
MnistDataset loadMnistFiles(const std::string &imagesPath, const std::string &labelsPath);

} // namespace kiln
