// The tutorial's sequence models on MNIST (spec §6 and §7), transcribed from
// shared/reference/pytorch_sequence_models.py with its parameter names, so a kiln
// checkpoint loads there with load_state_dict(strict=True) and vice versa.
#pragma once

#include "kiln/frontend/Attention.h"
#include "kiln/frontend/Recurrent.h"

namespace kiln {

/// Spec §6: each image is a sequence of 28 rows of 28 pixels; a 2-layer LSTM(28, 128)
/// reads them and the last step's output is classified by Linear(128, 10).
struct LSTMClassifier : Module {
  using Module::Module;
  LSTM lstm{this, "lstm", 28, 128, {.numLayers = 2, .batchFirst = true}};
  Linear fc{this, "fc", 128, 10};

  Value forward(Value x) override {
    Value out = lstm(x.view({-1, 28, 28})).output; // [B, 28, 128]
    int64_t batch = out.dim(0);
    return fc(out.slice(1, -1, out.dim(1)).view({batch, 128}));
  }
};

/// Spec §7's ViT: 7x7 patches -> 16 tokens of 49 pixels -> Linear(49, 64), a class
/// token in front, learned position embeddings, 2 pre-norm Transformer encoder layers
/// (4 heads, feed-forward 128, GELU, dropout 0.1), LayerNorm, Linear(64, 10) on the class
/// token.
struct ViT : Module {
  static constexpr int64_t kPatch = 7, kGrid = 28 / kPatch, kTokens = kGrid * kGrid;
  static constexpr int64_t kDim = 64;

  using Module::Module;
  Linear patch_embed{this, "patch_embed", kPatch *kPatch, kDim};

private:
  // Direct parameters: PyTorch lists them before every submodule's state.
  size_t clsToken_ = addParameter("cls_token", {1, 1, kDim}, zerosInit());
  size_t posEmbed_ = addParameter("pos_embed", {1, kTokens + 1, kDim}, normalInit(0.02));

public:
  TransformerEncoder encoder{this,
                             "encoder",
                             /*numLayers=*/2,
                             kDim,
                             /*numHeads=*/4,
                             {.dimFeedforward = 128,
                              .dropout = 0.1,
                              .batchFirst = true,
                              .activation = TransformerEncoderLayerOptions::Activation::Gelu,
                              .normFirst = true}};
  LayerNorm norm{this, "norm", {kDim}};
  Linear head{this, "head", kDim, 10};

  Value forward(Value x) override {
    int64_t batch = x.dim(0);
    // x.unfold(2, p, p).unfold(3, p, p).reshape(b, -1, p * p): token 4i + j holds rows
    // 7i..7i+6 and columns 7j..7j+6 of the image, row by row.
    x = x.view({batch, kGrid, kPatch, kGrid, kPatch})
            .permute({0, 1, 3, 2, 4})
            .reshape({batch, kTokens, kPatch * kPatch});
    Value cls = state(x, clsToken_).expand({batch, 1, kDim});
    x = cat({cls, patch_embed(x)}, 1); // [B, 17, 64]
    x = encoder(x + state(x, posEmbed_));
    return head(norm(x.slice(1, 0, 1).view({batch, kDim})));
  }
};

} // namespace kiln
