// Normalization statistics of an MNIST-format data set: the mean and standard deviation of
// pixel / 255 over every pixel of every image, what torchvision's Normalize((m,), (s,))
// is given. MNIST's training set gives 0.1307 / 0.3081; Fashion-MNIST's 0.2860 / 0.3530.
#pragma once

#include "kiln/runtime/data/DataLoader.h"
#include "kiln/runtime/data/Mnist.h"

namespace kiln {

/// The mean and population standard deviation of pixel / 255 over all images of `data`.
/// kiln::Error when `data` has no pixels, or every pixel has the same value (std 0 would
/// divide by zero in the loader).
Normalization pixelStatistics(const MnistDataset &data);

} // namespace kiln
