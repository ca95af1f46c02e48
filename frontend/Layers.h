// The parameterized layers of torch.nn that the tutorial's models use: Linear, Conv2d
// and Embedding. Parameters are named and laid out as in PyTorch's state_dict and carry its
// default initialization (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, which
// for the weight equals kaiming_uniform_(a=sqrt(5))).
#pragma once

#include "kiln/frontend/Functional.h"
#include "kiln/frontend/Module.h"

namespace kiln {

struct LinearOptions {
  bool bias = true;
};

/// nn.Linear: y = x W^T + b with weight [out, in] and bias [out]. Accepts any input of
/// shape [..., in].
class Linear : public Module {
public:
  Linear(Module *parent, std::string name, int64_t inFeatures, int64_t outFeatures,
         LinearOptions options = {});
  Value forward(Value x) override;

  int64_t inFeatures() const { return in_; }
  int64_t outFeatures() const { return out_; }
  /// For containers that override PyTorch's default initialization (attention).
  StateDecl &weightDecl() { return stateDecl(weight_); }
  StateDecl *biasDecl() { return hasBias_ ? &stateDecl(bias_) : nullptr; }

private:
  int64_t in_, out_;
  bool hasBias_;
  size_t weight_ = 0, bias_ = 0;
};

/// Conv2d options, designated-initializer friendly: {.kernel = 3, .padding = 1}.
struct Conv2dOptions {
  Size2 kernel = 1;
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

/// nn.Conv2d on NCHW input: weight [out, in/groups, kh, kw], bias [out].
class Conv2d : public Module {
public:
  Conv2d(Module *parent, std::string name, int64_t inChannels, int64_t outChannels,
         Conv2dOptions options);
  Value forward(Value x) override;

  int64_t inChannels() const { return in_; }
  int64_t outChannels() const { return out_; }

private:
  std::string describe() const;

  int64_t in_, out_;
  Conv2dOptions options_;
  size_t weight_ = 0, bias_ = 0;
};

/// nn.Embedding: row `i` of weight [numEmbeddings, embeddingDim] (N(0, 1)) for each i32
/// index, so i32[...] becomes f32[..., embeddingDim]. Built as one_hot(indices) x weight,
/// which autodiff differentiates like any matmul. An index outside [0, numEmbeddings)
/// selects a zero vector (one_hot's rule) where PyTorch raises an error.
class Embedding : public Module {
public:
  Embedding(Module *parent, std::string name, int64_t numEmbeddings, int64_t embeddingDim);
  Value forward(Value indices) override;

  int64_t numEmbeddings() const { return num_; }
  int64_t embeddingDim() const { return dim_; }

private:
  int64_t num_, dim_;
  size_t weight_ = 0;
};

} // namespace kiln
