#include "kiln/runtime/train/RunNormalization.h"

#include "kiln/runtime/Communicator.h"
#include "kiln/runtime/data/PixelStats.h"

#include <fmt/core.h>

namespace kiln {

void resolveNormalization(TrainConfig &config, const MnistDataset &train) {
  std::string source = "given, or recorded in the checkpoint";
  if (!config.norm) {
    config.norm = pixelStatistics(train);
    source = fmt::format("statistics of the {} training images", train.size());
  }
  if (leadRank())
    fmt::print(stderr, "[{}] normalization: mean {:.4f} std {:.4f} ({})\n", config.model,
             config.norm->mean, config.norm->std, source);
}

} // namespace kiln
