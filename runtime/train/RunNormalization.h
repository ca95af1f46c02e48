// The input normalization of a run: given (--norm-mean/--norm-std, or a checkpoint's on
// --resume) or computed from the run's own training set, so a data set other than MNIST
// (Fashion-MNIST: mean 0.2860, std 0.3530) is not fed MNIST's 0.1307 / 0.3081.
#pragma once

#include "kiln/runtime/data/Mnist.h"
#include "kiln/runtime/train/Trainer.h"

namespace kiln {

/// Sets config.norm from pixelStatistics(train) when it is unset, and prints the values
/// the run uses on one line of stderr.
void resolveNormalization(TrainConfig &config, const MnistDataset &train);

} // namespace kiln
