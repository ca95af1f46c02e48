#include "kiln/frontend/Recurrent.h"

#include "kiln/frontend/Functional.h"
#include "kiln/ir/Error.h"

#include <cmath>

namespace kiln {

LSTM::LSTM(Module *parent, std::string name, int64_t inputSize, int64_t hiddenSize,
           LSTMOptions options)
    : Module(parent, std::move(name)), input_(inputSize), hidden_(hiddenSize), options_(options) {
  if (input_ < 1 || hidden_ < 1 || options_.numLayers < 1)
    fail("{}: LSTM(input {}, hidden {}, layers {}) needs positive sizes", scope(), input_, hidden_,
         options_.numLayers);
  Attrs init = uniformInit(1.0 / std::sqrt(static_cast<double>(hidden_)));
  int64_t gates = 4 * hidden_;
  // PyTorch registers per layer: weight_ih, weight_hh, bias_ih, bias_hh.
  for (int64_t l = 0; l < options_.numLayers; ++l) {
    std::string k = "_l" + std::to_string(l);
    int64_t in = l == 0 ? input_ : hidden_;
    LayerParams p{};
    p.weightIh = addParameter("weight_ih" + k, {gates, in}, init);
    p.weightHh = addParameter("weight_hh" + k, {gates, hidden_}, init);
    if (options_.bias) {
      p.biasIh = addParameter("bias_ih" + k, {gates}, init);
      p.biasHh = addParameter("bias_hh" + k, {gates}, init);
    }
    layers_.push_back(p);
  }
}

LSTMOutput LSTM::operator()(const Value &x) { return call(x, nullptr, nullptr); }

LSTMOutput LSTM::operator()(const Value &x, const Value &h0, const Value &c0) {
  return call(x, &h0, &c0);
}

LSTMOutput LSTM::call(const Value &x, const Value *h0, const Value *c0) {
  return scoped(x, [&] {
    LSTMOutput r = run(x, h0, c0);
    return LSTMOutput{owned(r.output), owned(r.h_n), owned(r.c_n)};
  });
}

LSTMOutput LSTM::run(const Value &x, const Value *h0, const Value *c0) {
  Tracer &t = x.tracer();
  IRBuilder &b = t.builder();
  std::string layer = fmt::format("LSTM(input {}, hidden {}, layers {}{})", input_, hidden_,
                                  options_.numLayers, options_.batchFirst ? ", batch_first" : "");
  Type type = x.type();
  if (type.rank() != 3 || type.shape[2] != input_ || type.dtype != DType::F32)
    fail("{}: {} got input {} (expected f32[{}])", b.scope(), layer, type.str(),
         options_.batchFirst ? fmt::format("B,T,{}", input_) : fmt::format("T,B,{}", input_));
  int64_t timeAxis = options_.batchFirst ? 1 : 0;
  int64_t steps = type.shape[static_cast<size_t>(timeAxis)];
  int64_t batch = type.shape[static_cast<size_t>(1 - timeAxis)];
  int64_t layers = options_.numLayers, hidden = hidden_;
  const Shape stateShape{layers, batch, hidden};
  if (h0 && (h0->shape() != stateShape || c0->shape() != stateShape))
    fail("{}: {} got initial states {} and {}, expected f32{}", b.scope(), layer, h0->type().str(),
         c0->type().str(), shapeStr(stateShape));

  Value sequence = x;
  std::vector<Value> finalH, finalC;
  for (int64_t l = 0; l < layers; ++l) {
    auto layerScope = b.enter("l" + std::to_string(l));
    const LayerParams &p = layers_[static_cast<size_t>(l)];
    Value weightHh = state(x, p.weightHh);
    // The input projections of all steps in one matmul; only the recurrent one is
    // sequential.
    int64_t in = sequence.dim(2);
    Value projected = matmul(sequence.view({-1, in}), state(x, p.weightIh), false, true);
    if (options_.bias)
      projected = projected + (state(x, p.biasIh) + state(x, p.biasHh));
    projected = projected.view(timeAxis == 0 ? std::vector<int64_t>{steps, batch, 4 * hidden}
                                             : std::vector<int64_t>{batch, steps, 4 * hidden});
    Value h, c; // empty: zero initial state, whose terms are left out
    if (h0) {
      h = h0->slice(0, l, l + 1).view({batch, hidden});
      c = c0->slice(0, l, l + 1).view({batch, hidden});
    }
    std::vector<Value> outputs;
    for (int64_t ts = 0; ts < steps; ++ts) {
      auto stepScope = b.enter("t" + std::to_string(ts));
      Value gates = projected.slice(timeAxis, ts, ts + 1).view({batch, 4 * hidden});
      if (h.defined())
        gates = gates + matmul(h, weightHh, false, true);
      std::vector<Value> g = gates.chunk(4, 1); // rows i, f, g, o
      Value input = sigmoid(g[0]), forget = sigmoid(g[1]), cell = tanh(g[2]);
      Value out = sigmoid(g[3]);
      c = c.defined() ? forget * c + input * cell : input * cell;
      h = out * tanh(c);
      outputs.push_back(h.unsqueeze(timeAxis));
    }
    sequence = cat(outputs, timeAxis);
    finalH.push_back(h.unsqueeze(0));
    finalC.push_back(c.unsqueeze(0));
  }
  return {sequence, cat(finalH, 0), cat(finalC, 0)};
}

RNN::RNN(Module *parent, std::string name, int64_t inputSize, int64_t hiddenSize,
         RNNOptions options)
    : Module(parent, std::move(name)), input_(inputSize), hidden_(hiddenSize), options_(options) {
  if (input_ < 1 || hidden_ < 1 || options_.numLayers < 1)
    fail("{}: RNN(input {}, hidden {}, layers {}) needs positive sizes", scope(), input_, hidden_,
         options_.numLayers);
  Attrs init = uniformInit(1.0 / std::sqrt(static_cast<double>(hidden_)));
  // PyTorch registers per layer: weight_ih, weight_hh, bias_ih, bias_hh.
  for (int64_t l = 0; l < options_.numLayers; ++l) {
    std::string k = "_l" + std::to_string(l);
    int64_t in = l == 0 ? input_ : hidden_;
    LayerParams p{};
    p.weightIh = addParameter("weight_ih" + k, {hidden_, in}, init);
    p.weightHh = addParameter("weight_hh" + k, {hidden_, hidden_}, init);
    if (options_.bias) {
      p.biasIh = addParameter("bias_ih" + k, {hidden_}, init);
      p.biasHh = addParameter("bias_hh" + k, {hidden_}, init);
    }
    layers_.push_back(p);
  }
}

RNNOutput RNN::operator()(const Value &x) { return call(x, nullptr); }

RNNOutput RNN::operator()(const Value &x, const Value &h0) { return call(x, &h0); }

RNNOutput RNN::call(const Value &x, const Value *h0) {
  return scoped(x, [&] {
    RNNOutput r = run(x, h0);
    return RNNOutput{owned(r.output), owned(r.h_n)};
  });
}

RNNOutput RNN::run(const Value &x, const Value *h0) {
  IRBuilder &b = x.tracer().builder();
  bool relu = options_.nonlinearity == RNNOptions::Nonlinearity::Relu;
  std::string layer =
      fmt::format("RNN(input {}, hidden {}, layers {}{}{})", input_, hidden_, options_.numLayers,
                  relu ? ", relu" : "", options_.batchFirst ? ", batch_first" : "");
  Type type = x.type();
  if (type.rank() != 3 || type.shape[2] != input_ || type.dtype != DType::F32)
    fail("{}: {} got input {} (expected f32[{}])", b.scope(), layer, type.str(),
         options_.batchFirst ? fmt::format("B,T,{}", input_) : fmt::format("T,B,{}", input_));
  int64_t timeAxis = options_.batchFirst ? 1 : 0;
  int64_t steps = type.shape[static_cast<size_t>(timeAxis)];
  int64_t batch = type.shape[static_cast<size_t>(1 - timeAxis)];
  int64_t layers = options_.numLayers, hidden = hidden_;
  const Shape stateShape{layers, batch, hidden};
  if (h0 && h0->shape() != stateShape)
    fail("{}: {} got initial state {}, expected f32{}", b.scope(), layer, h0->type().str(),
         shapeStr(stateShape));

  Value sequence = x;
  std::vector<Value> finalH;
  for (int64_t l = 0; l < layers; ++l) {
    auto layerScope = b.enter("l" + std::to_string(l));
    const LayerParams &p = layers_[static_cast<size_t>(l)];
    Value weightHh = state(x, p.weightHh);
    // As in the LSTM: the input projections of all steps in one matmul.
    int64_t in = sequence.dim(2);
    Value projected = matmul(sequence.view({-1, in}), state(x, p.weightIh), false, true);
    if (options_.bias)
      projected = projected + (state(x, p.biasIh) + state(x, p.biasHh));
    projected = projected.view(timeAxis == 0 ? std::vector<int64_t>{steps, batch, hidden}
                                             : std::vector<int64_t>{batch, steps, hidden});
    Value h; // empty: a zero initial state, whose term is left out
    if (h0)
      h = h0->slice(0, l, l + 1).view({batch, hidden});
    std::vector<Value> outputs;
    for (int64_t ts = 0; ts < steps; ++ts) {
      auto stepScope = b.enter("t" + std::to_string(ts));
      Value pre = projected.slice(timeAxis, ts, ts + 1).view({batch, hidden});
      if (h.defined())
        pre = pre + matmul(h, weightHh, false, true);
      h = relu ? kiln::relu(pre) : tanh(pre);
      outputs.push_back(h.unsqueeze(timeAxis));
    }
    sequence = cat(outputs, timeAxis);
    finalH.push_back(h.unsqueeze(0));
  }
  return {sequence, cat(finalH, 0)};
}

} // namespace kiln
