// Attention (spec §7): nn.MultiheadAttention computing softmax(Q K^T / sqrt(d_k)) V per
// head, nn.TransformerEncoderLayer (post-norm, PyTorch's default, or pre-norm) built on
// it, and nn.TransformerEncoder stacking such layers.
#pragma once

#include "kiln/frontend/Functional.h"
#include "kiln/frontend/Layers.h"
#include "kiln/frontend/Norm.h"

namespace kiln {

struct MultiheadAttentionOptions {
  double dropout = 0.0; ///< on the attention weights, train mode only
  bool bias = true;
  bool batchFirst = false; ///< [batch, seq, embed] instead of [seq, batch, embed]
};

/// The attention output [.., Tq, .., E] and the weights averaged over heads [B, Tq, Tk].
struct AttentionOutput {
  Value output;
  Value weights;
};

/// nn.MultiheadAttention with PyTorch's parameters: in_proj_weight [3E, E]
/// (xavier_uniform), in_proj_bias [3E] (zeros), out_proj.weight [E, E] (Linear's
/// default) and out_proj.bias [E] (zeros). Rows 0..E of in_proj project queries, E..2E
/// keys, 2E..3E values.
class MultiheadAttention : public Module {
public:
  MultiheadAttention(Module *parent, std::string name, int64_t embedDim, int64_t numHeads,
                     MultiheadAttentionOptions options = {});

  /// Self-attention through the plain Module call: `self_attn(x)`.
  using Module::operator();
  /// Attention of `query` over `key`/`value` (which share a sequence length).
  AttentionOutput operator()(const Value &query, const Value &key, const Value &value);
  /// Self-attention: the output only.
  Value forward(Value x) override { return attend(x, x, x).output; }

  int64_t embedDim() const { return embed_; }
  int64_t numHeads() const { return heads_; }

private:
  AttentionOutput attend(const Value &query, const Value &key, const Value &value);
  /// Projects [B, T, E] with rows [offset, offset + E) of in_proj and splits the heads:
  /// [B * heads, T, E / heads].
  Value project(const Value &x, int64_t offset);

  int64_t embed_, heads_;
  MultiheadAttentionOptions options_;
  size_t inProjWeight_ = 0, inProjBias_ = 0;

public:
  Linear out_proj; ///< PyTorch's name, so the state_dict reads "out_proj.weight"
};

struct TransformerEncoderLayerOptions {
  int64_t dimFeedforward = 2048;
  double dropout = 0.1;
  bool batchFirst = false;
  double layerNormEps = 1e-5;
  /// The feed-forward nonlinearity: PyTorch's activation="relu" (default) or "gelu"
  /// (the exact, erf-based GELU).
  enum class Activation { Relu, Gelu } activation = Activation::Relu;
  /// Pre-norm (norm_first=True): each block normalizes its input, not the residual sum.
  bool normFirst = false;
};

/// nn.TransformerEncoderLayer. With ff(x) = dropout2(linear2(dropout(act(linear1(x))))):
///   norm_first=False:  x = norm1(x + dropout1(self_attn(x)));  x = norm2(x + ff(x))
///   norm_first=True:   x = x + dropout1(self_attn(norm1(x)));  x = x + ff(norm2(x))
class TransformerEncoderLayer : public Module {
public:
  TransformerEncoderLayer(Module *parent, std::string name, int64_t dModel, int64_t numHeads,
                          TransformerEncoderLayerOptions options = {});
  Value forward(Value x) override;

  MultiheadAttention self_attn;
  Linear linear1;
  Dropout dropout;
  Linear linear2;
  LayerNorm norm1;
  LayerNorm norm2;
  Dropout dropout1;
  Dropout dropout2;

private:
  Value feedForward(const Value &x);

  TransformerEncoderLayerOptions options_;
};

/// nn.TransformerEncoder(encoder_layer, numLayers) without a final norm: numLayers
/// layers built with the same configuration, applied in order, with PyTorch's names
/// "layers.0.self_attn.in_proj_weight", ...
///
/// PyTorch deep-copies one layer, so its layers start from identical weights; kiln draws
/// each layer's weights independently from the same distributions.
class TransformerEncoder : public Module {
public:
  TransformerEncoder(Module *parent, std::string name, int64_t numLayers, int64_t dModel,
                     int64_t numHeads, TransformerEncoderLayerOptions options = {});
  Value forward(Value x) override { return layers(x); }

  ModuleList<TransformerEncoderLayer> layers;
};

} // namespace kiln
