// Normalization layers: BatchNorm1d/2d (nn.BatchNorm*, with running statistics kept
// as graph state and updated through Graph::addUpdate in train mode) and LayerNorm.
#pragma once

#include "kiln/frontend/Module.h"

namespace kiln {

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
};

/// Shared by BatchNorm1d and BatchNorm2d: normalizes per channel (axis 1) over all
/// other axes. Parameters weight [C] (ones), bias [C] (zeros); buffers running_mean
/// (zeros), running_var (ones), num_batches_tracked i32[] (zeros).
///
/// Train: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's biased
/// variance, and the updates
///   running_mean <- (1-m) running_mean + m mean
///   running_var  <- (1-m) running_var + m var * n/(n-1)   (unbiased, n values/channel)
///   num_batches_tracked <- num_batches_tracked + 1
/// Eval: the same normalization with the running statistics; no updates.
class BatchNorm : public Module {
public:
  Value forward(Value x) override;
  int64_t numFeatures() const { return features_; }

protected:
  BatchNorm(Module *parent, std::string name, int64_t numFeatures, BatchNormOptions options,
            std::vector<int64_t> ranks, const char *kind);

private:
  int64_t features_;
  BatchNormOptions options_;
  std::vector<int64_t> ranks_; ///< accepted input ranks
  const char *kind_;
  size_t weight_, bias_, runningMean_, runningVar_, batches_;
};

/// nn.BatchNorm2d over NCHW input.
class BatchNorm2d : public BatchNorm {
public:
  BatchNorm2d(Module *parent, std::string name, int64_t numFeatures, BatchNormOptions options = {})
      : BatchNorm(parent, std::move(name), numFeatures, options, {4}, "BatchNorm2d") {}
};

/// nn.BatchNorm1d over [N,C] or [N,C,L] input.
class BatchNorm1d : public BatchNorm {
public:
  BatchNorm1d(Module *parent, std::string name, int64_t numFeatures, BatchNormOptions options = {})
      : BatchNorm(parent, std::move(name), numFeatures, options, {2, 3}, "BatchNorm1d") {}
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwiseAffine = true;
};

/// nn.LayerNorm: normalizes over the trailing dimensions `normalizedShape` with the
/// biased variance; weight (ones) and bias (zeros) of that shape.
class LayerNorm : public Module {
public:
  LayerNorm(Module *parent, std::string name, Shape normalizedShape, LayerNormOptions options = {});
  Value forward(Value x) override;

private:
  Shape normalized_;
  LayerNormOptions options_;
  size_t weight_ = 0, bias_ = 0;
};

} // namespace kiln
