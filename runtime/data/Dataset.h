// Dataset: what a DataLoader serves and a Trainer trains on, N labelled examples of one
// shape. Image data sets (MNIST-format) also expose their 8-bit pixels, which the loader
// normalizes and augments and the reports draw; other data sets (in-memory tensors, rows
// of a CSV file) hand over their examples as ready floats.
#pragma once

#include "kiln/ir/Type.h"
#include "kiln/runtime/Tensor.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kiln {

struct MnistDataset;

class Dataset {
public:
  virtual ~Dataset() = default;
  /// The number of examples.
  virtual int64_t size() const = 0;
  /// One example without the batch: {1, 28, 28} for a grey image, {F} for F features.
  virtual Shape sampleShape() const = 0;
  /// Labels are classes 0 .. numClasses() - 1.
  virtual int64_t numClasses() const = 0;
  virtual int32_t label(int64_t i) const = 0;
  /// Writes example `i` (sampleShape()'s elements) into `out`. For image data sets this
  /// is pixel / 255; the DataLoader normalizes their pixels itself.
  virtual void read(int64_t i, std::span<float> out) const = 0;
  /// The grey images behind an image data set, or nullptr.
  virtual const MnistDataset *imageSet() const { return nullptr; }
};

/// Examples held in memory: x f32[N, sample...] and one class per example.
class TensorDataset : public Dataset {
public:
  /// Fails with kiln::Error unless x is f32 of rank >= 2 with N rows, labels has N
  /// entries, and every label is in 0 .. numClasses - 1 (numClasses = 0: the largest
  /// label + 1).
  TensorDataset(Tensor x, std::vector<int32_t> labels, int64_t numClasses = 0);

  int64_t size() const override { return x_.type().shape[0]; }
  Shape sampleShape() const override;
  int64_t numClasses() const override { return numClasses_; }
  int32_t label(int64_t i) const override { return labels_[static_cast<size_t>(i)]; }
  void read(int64_t i, std::span<float> out) const override;

private:
  Tensor x_;
  std::vector<int32_t> labels_;
  int64_t numClasses_;
};

/// A CSV file of examples, one per line: the features as numbers, the class (an integer
/// >= 0) in the last column. A first line that is not all numbers is a header. Fails
/// with kiln::Error naming FILE:LINE on a field that is not a number, a row whose
/// column count differs from the first row's, or a label that is not a class.
TensorDataset loadCsvDataset(const std::string &path, int64_t numClasses = 0);

} // namespace kiln
