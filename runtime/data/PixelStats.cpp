// Pixels are bytes, so a histogram of 256 counts gives both moments exactly in one pass,
// without the cancellation of summing squares of 47 million floats.
#include "kiln/runtime/data/PixelStats.h"

#include "kiln/ir/Error.h"

#include <array>
#include <cmath>

namespace kiln {

Normalization pixelStatistics(const MnistDataset &data) {
  std::array<uint64_t, 256> counts{};
  for (uint8_t p : data.images)
    ++counts[p];
  const double n = static_cast<double>(data.images.size());
  if (data.images.empty())
    fail("normalization statistics: the training set has no pixels");
  double mean = 0;
  for (int p = 0; p < 256; ++p)
    mean += static_cast<double>(counts[size_t(p)]) * (p / 255.0);
  mean /= n;
  double var = 0;
  for (int p = 0; p < 256; ++p) {
    double d = p / 255.0 - mean;
    var += static_cast<double>(counts[size_t(p)]) * d * d;
  }
  double std = std::sqrt(var / n);
  if (!(std > 0))
    fail("normalization statistics: every training pixel is {}, so the std is 0; pass "
         "--norm-mean and --norm-std",
         mean * 255.0);
  return {static_cast<float>(mean), static_cast<float>(std)};
}

} // namespace kiln
