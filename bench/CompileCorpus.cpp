// The corpus's models, each a ModelSpec like a user's.
#include "CompileCorpus.h"

#include "kiln/frontend/Attention.h"
#include "kiln/frontend/Functional.h"
#include "kiln/frontend/Layers.h"
#include "kiln/frontend/Norm.h"
#include "kiln/frontend/Recurrent.h"

#include <fmt/format.h>

#include <optional>

namespace kiln::bench {
namespace {

struct ConvNetShape {
  int64_t channels, size; ///< input: channels x size x size
  int64_t width, kernel, stride;
  bool batchNorm, leaky, averagePool;

  std::string name() const {
    return fmt::format("conv_c{}_w{}_k{}_s{}{}{}{}", channels, width, kernel, stride,
                       batchNorm ? "_bn" : "", leaky ? "_leaky" : "", averagePool ? "_avg" : "");
  }
  /// Spatial size after conv1 (padding kernel/2) and the 2x2 pooling.
  int64_t pooledSize() const { return ((size + 2 * (kernel / 2) - kernel) / stride + 1) / 2; }
};

/// conv(width) [bn] act pool, conv(2 width) [bn] act, flatten, linear(10).
struct ConvNet : Module {
  explicit ConvNet(ConvNetShape s)
      : s_(s), conv1(this, "conv1", s.channels, s.width,
                     {.kernel = s.kernel, .stride = s.stride, .padding = s.kernel / 2}),
        conv2(this, "conv2", s.width, 2 * s.width, {.kernel = s.kernel, .padding = s.kernel / 2}),
        fc(this, "fc", 2 * s.width * s.pooledSize() * s.pooledSize(), 10) {
    if (s.batchNorm) {
      bn1.emplace(this, "bn1", s.width);
      bn2.emplace(this, "bn2", 2 * s.width);
    }
  }

  Value act(const Value &x) const { return s_.leaky ? leaky_relu(x, 0.1) : relu(x); }

  Value forward(Value x) override {
    x = conv1(x);
    if (bn1)
      x = (*bn1)(x);
    x = act(x);
    x = s_.averagePool ? avg_pool2d(x, 2) : max_pool2d(x, 2);
    x = conv2(x);
    if (bn2)
      x = (*bn2)(x);
    x = act(x);
    return fc(x.flatten(1, -1));
  }

  ConvNetShape s_;
  Conv2d conv1, conv2;
  Linear fc;
  std::optional<BatchNorm2d> bn1, bn2;
};

/// An LSTM over `steps` rows of `features`, classifying from the last step.
struct SequenceNet : Module {
  SequenceNet(int64_t steps, int64_t features, int64_t hidden, int64_t layers)
      : steps_(steps), features_(features), hidden_(hidden),
        lstm(this, "lstm", features, hidden, {.numLayers = layers, .batchFirst = true}),
        fc(this, "fc", hidden, 10) {}

  Value forward(Value x) override {
    Value out = lstm(x.view({-1, steps_, features_})).output;
    int64_t batch = out.dim(0);
    return fc(out.slice(1, steps_ - 1, steps_).view({batch, hidden_}));
  }

  int64_t steps_, features_, hidden_;
  LSTM lstm;
  Linear fc;
};

/// Tokens of `features` -> Linear(dim) -> encoder layers -> mean over tokens -> Linear(10).
struct AttentionNet : Module {
  AttentionNet(int64_t tokens, int64_t features, int64_t dim, int64_t layers)
      : tokens_(tokens), features_(features),
        embed(this, "embed", features, dim),
        encoder(this, "encoder", layers, dim, /*numHeads=*/4,
                {.dimFeedforward = 2 * dim, .dropout = 0.1, .batchFirst = true}),
        head(this, "head", dim, 10) {}

  Value forward(Value x) override {
    x = encoder(embed(x.view({-1, tokens_, features_})));
    return head(x.mean({1}));
  }

  int64_t tokens_, features_;
  Linear embed;
  TransformerEncoder encoder;
  Linear head;
};

} // namespace

std::vector<ModelSpec> compileCorpus() {
  std::vector<ModelSpec> corpus;
  // channels, size, width, kernel, stride, batch norm, leaky, average pool
  const ConvNetShape convNets[] = {
      {1, 28, 1, 3, 1, false, false, false},  {1, 28, 8, 3, 2, false, false, true},
      {1, 28, 8, 3, 1, false, false, false},  {1, 28, 8, 3, 1, true, true, false},
      {3, 32, 16, 5, 1, true, false, false},  {7, 17, 16, 1, 1, false, false, false},
      {1, 28, 32, 3, 1, true, true, false},   {1, 28, 64, 5, 2, false, false, true},
      {3, 32, 128, 3, 2, true, false, false}, {1, 28, 4, 5, 1, false, true, true},
      {7, 17, 8, 3, 2, true, true, false},    {1, 28, 16, 1, 2, false, false, true},
      {3, 32, 2, 3, 1, true, false, true},    {1, 28, 128, 1, 1, false, false, false},
      {1, 28, 24, 5, 2, true, true, true},    {7, 17, 64, 3, 1, false, false, true},
  };
  for (const ConvNetShape &s : convNets)
    corpus.push_back(classifier(s.name(), {s.channels, s.size, s.size}, 10,
                                [s] { return std::make_unique<ConvNet>(s); }));
  // steps, features, hidden, layers
  const int64_t lstms[][4] = {{8, 28, 64, 1}, {16, 28, 64, 2}, {32, 16, 32, 1}, {64, 8, 64, 1}};
  for (const auto &l : lstms)
    corpus.push_back(classifier(fmt::format("lstm_t{}_h{}_l{}", l[0], l[2], l[3]), {l[0], l[1]},
                                10, [l] { return std::make_unique<SequenceNet>(l[0], l[1], l[2], l[3]); }));
  // tokens, features, dim, layers
  const int64_t attentions[][4] = {{16, 49, 32, 1}, {33, 24, 64, 2}};
  for (const auto &a : attentions)
    corpus.push_back(classifier(fmt::format("attention_t{}_d{}_l{}", a[0], a[2], a[3]),
                                {a[0], a[1]}, 10,
                                [a] { return std::make_unique<AttentionNet>(a[0], a[1], a[2], a[3]); }));
  return corpus;
}

} // namespace kiln::bench
