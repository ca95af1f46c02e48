#include "kiln/frontend/Attention.h"

#include "kiln/ir/Error.h"

#include <cmath>

namespace kiln {

MultiheadAttention::MultiheadAttention(Module *parent, std::string name, int64_t embedDim,
                                       int64_t numHeads, MultiheadAttentionOptions options)
    : Module(parent, std::move(name)), embed_(embedDim), heads_(numHeads), options_(options),
      out_proj(this, "out_proj", std::max<int64_t>(embedDim, 1), std::max<int64_t>(embedDim, 1),
               {.bias = options.bias}) {
  if (embed_ < 1 || heads_ < 1 || embed_ % heads_ != 0)
    fail("{}: MultiheadAttention(embed {}, heads {}): the embedding must split evenly into "
         "heads",
         scope(), embed_, heads_);
  if (!(options_.dropout >= 0.0 && options_.dropout <= 1.0))
    fail("{}: MultiheadAttention dropout must be in [0, 1], got {}", scope(), options_.dropout);
  // xavier_uniform_ on [3E, E]: bound sqrt(6 / (fan_in + fan_out)) = sqrt(6 / 4E).
  inProjWeight_ = addParameter("in_proj_weight", {3 * embed_, embed_},
                               uniformInit(std::sqrt(6.0 / static_cast<double>(4 * embed_))));
  if (options_.bias) {
    inProjBias_ = addParameter("in_proj_bias", {3 * embed_}, zerosInit());
    out_proj.biasDecl()->attrs = zerosInit().set("trainable", true);
  }
}

AttentionOutput MultiheadAttention::operator()(const Value &query, const Value &key,
                                               const Value &value) {
  return scoped(query, [&] {
    AttentionOutput r = attend(query, key, value);
    return AttentionOutput{owned(r.output), owned(r.weights)};
  });
}

Value MultiheadAttention::project(const Value &x, int64_t offset) {
  int64_t batch = x.dim(0), steps = x.dim(1), depth = embed_ / heads_;
  Value weight = state(x, inProjWeight_).slice(0, offset, offset + embed_);
  Value y = matmul(x.view({-1, embed_}), weight, false, true);
  if (options_.bias)
    y = y + state(x, inProjBias_).slice(0, offset, offset + embed_);
  return y.view({batch, steps, heads_, depth})
      .permute({0, 2, 1, 3})
      .reshape({batch * heads_, steps, depth});
}

AttentionOutput MultiheadAttention::attend(const Value &query, const Value &key,
                                           const Value &value) {
  std::string where = query.tracer().builder().scope();
  auto check = [&](const Value &v, const char *what) {
    if (v.rank() != 3 || v.dim(2) != embed_ || v.dtype() != DType::F32)
      fail("{}: MultiheadAttention(embed {}, heads {}) got {} {} (expected f32[{}])", where, embed_,
           heads_, what, v.type().str(),
           options_.batchFirst ? fmt::format("B,T,{}", embed_) : fmt::format("T,B,{}", embed_));
  };
  check(query, "query");
  check(key, "key");
  check(value, "value");
  if (key.shape() != value.shape())
    fail("{}: MultiheadAttention key {} and value {} differ", where, key.type().str(),
         value.type().str());
  // Work batch-first; PyTorch's default layout is [T, B, E].
  auto batchFirst = [&](const Value &v) { return options_.batchFirst ? v : v.transpose(0, 1); };
  Value q = batchFirst(query), k = batchFirst(key), v = batchFirst(value);
  int64_t batch = q.dim(0), targetLen = q.dim(1), sourceLen = k.dim(1);
  if (k.dim(0) != batch)
    fail("{}: MultiheadAttention query {} and key {} have different batch sizes", where,
         query.type().str(), key.type().str());
  int64_t depth = embed_ / heads_;

  Value qh = project(q, 0), kh = project(k, embed_), vh = project(v, 2 * embed_);
  Value scores = matmul(qh, kh, false, true) * (1.0 / std::sqrt(static_cast<double>(depth)));
  Value weights = softmax(scores, -1);
  if (options_.dropout > 0.0)
    weights = kiln::dropout(weights, options_.dropout);
  Value context = matmul(weights, vh)
                      .view({batch, heads_, targetLen, depth})
                      .permute({0, 2, 1, 3})
                      .reshape({batch, targetLen, embed_});
  Value out = out_proj(context);
  if (!options_.batchFirst)
    out = out.transpose(0, 1);
  Value averaged = weights.view({batch, heads_, targetLen, sourceLen}).mean({1});
  return {out, averaged};
}

TransformerEncoderLayer::TransformerEncoderLayer(Module *parent, std::string name, int64_t dModel,
                                                 int64_t numHeads,
                                                 TransformerEncoderLayerOptions options)
    : Module(parent, std::move(name)),
      self_attn(this, "self_attn", dModel, numHeads,
                {.dropout = options.dropout, .bias = true, .batchFirst = options.batchFirst}),
      linear1(this, "linear1", dModel, options.dimFeedforward), dropout(options.dropout),
      linear2(this, "linear2", options.dimFeedforward, dModel),
      norm1(this, "norm1", {dModel}, {.eps = options.layerNormEps}),
      norm2(this, "norm2", {dModel}, {.eps = options.layerNormEps}), dropout1(options.dropout),
      dropout2(options.dropout), options_(options) {}

Value TransformerEncoderLayer::feedForward(const Value &x) {
  Value hidden = linear1(x);
  switch (options_.activation) {
  case TransformerEncoderLayerOptions::Activation::Relu:
    hidden = relu(hidden);
    break;
  case TransformerEncoderLayerOptions::Activation::Gelu:
    hidden = gelu(hidden);
    break;
  }
  return dropout2(linear2(dropout(hidden)));
}

Value TransformerEncoderLayer::forward(Value x) {
  if (options_.normFirst) {
    x = x + dropout1(self_attn(norm1(x)));
    return x + feedForward(norm2(x));
  }
  x = norm1(x + dropout1(self_attn(x)));
  return norm2(x + feedForward(x));
}

TransformerEncoder::TransformerEncoder(Module *parent, std::string name, int64_t numLayers,
                                       int64_t dModel, int64_t numHeads,
                                       TransformerEncoderLayerOptions options)
    : Module(parent, std::move(name)), layers(this, "layers") {
  if (numLayers < 1)
    fail("{}: TransformerEncoder needs at least one layer, got {}", scope(), numLayers);
  for (int64_t l = 0; l < numLayers; ++l)
    layers.append(dModel, numHeads, options);
}

} // namespace kiln
