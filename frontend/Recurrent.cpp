#include "kiln/frontend/Recurrent.h"

#include "kiln/frontend/Functional.h"
#include "kiln/ir/Error.h"

#include <cmath>

namespace kiln {

namespace {

/// PyTorch's per-layer parameters of a recurrent module, in its registration order:
/// weight_ih_l{k} [rows, in_k], weight_hh_l{k} [rows, hidden], bias_ih_l{k} and
/// bias_hh_l{k} [rows], all U(-1/sqrt(hidden), 1/sqrt(hidden)); rows = gates x hidden.
/// `declare` is the module's addParameter.
template <typename Params, typename Declare>
std::vector<Params> declareLayers(int64_t input, int64_t hidden, int64_t rows, int64_t numLayers,
                                  bool bias, Declare declare) {
  Attrs init = uniformInit(1.0 / std::sqrt(static_cast<double>(hidden)));
  std::vector<Params> layers;
  for (int64_t l = 0; l < numLayers; ++l) {
    std::string k = "_l" + std::to_string(l);
    Params p{};
    p.weightIh = declare("weight_ih" + k, {rows, l == 0 ? input : hidden}, init);
    p.weightHh = declare("weight_hh" + k, {rows, hidden}, init);
    if (bias) {
      p.biasIh = declare("bias_ih" + k, {rows}, init);
      p.biasHh = declare("bias_hh" + k, {rows}, init);
    }
    layers.push_back(p);
  }
  return layers;
}

/// Where time and batch sit in a recurrent layer's input, after checking that it is
/// f32[T,B,input] (f32[B,T,input] batch first).
struct SequenceExtent {
  int64_t timeAxis, steps, batch;
};

SequenceExtent sequenceExtent(const Value &x, const std::string &scope, const std::string &layer,
                              int64_t input, bool batchFirst) {
  Type type = x.type();
  if (type.rank() != 3 || type.shape[2] != input || type.dtype != DType::F32)
    fail("{}: {} got input {} (expected f32[{}])", scope, layer, type.str(),
         batchFirst ? fmt::format("B,T,{}", input) : fmt::format("T,B,{}", input));
  int64_t timeAxis = batchFirst ? 1 : 0;
  return {timeAxis, type.shape[static_cast<size_t>(timeAxis)],
          type.shape[static_cast<size_t>(1 - timeAxis)]};
}

/// The input projections of every step in one matmul, W_ih x + (b_ih + b_hh) for all
/// steps at once (only the recurrent projection is sequential), laid out as the input:
/// [T, B, rows] or [B, T, rows]. `bias` may be empty (no bias).
Value projectSteps(const Value &sequence, const Value &weightIh, const Value &bias,
                   const SequenceExtent &extent) {
  const int64_t rows = weightIh.dim(0);
  Value projected = matmul(sequence.view({-1, sequence.dim(2)}), weightIh, false, true);
  if (bias.defined())
    projected = projected + bias;
  return projected.view(extent.timeAxis == 0
                            ? std::vector<int64_t>{extent.steps, extent.batch, rows}
                            : std::vector<int64_t>{extent.batch, extent.steps, rows});
}

} // namespace

LSTM::LSTM(Module *parent, std::string name, int64_t inputSize, int64_t hiddenSize,
           LSTMOptions options)
    : Module(parent, std::move(name)), input_(inputSize), hidden_(hiddenSize), options_(options) {
  if (input_ < 1 || hidden_ < 1 || options_.numLayers < 1)
    fail("{}: LSTM(input {}, hidden {}, layers {}) needs positive sizes", scope(), input_, hidden_,
         options_.numLayers);
  layers_ =
      declareLayers<LayerParams>(input_, hidden_, 4 * hidden_, options_.numLayers, options_.bias,
                                 [this](std::string n, Shape s, Attrs a) {
                                   return addParameter(std::move(n), std::move(s), std::move(a));
                                 });
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
  auto [timeAxis, steps, batch] = sequenceExtent(x, b.scope(), layer, input_, options_.batchFirst);
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
    Value projected =
        projectSteps(sequence, state(x, p.weightIh),
                     options_.bias ? state(x, p.biasIh) + state(x, p.biasHh) : Value(),
                     {timeAxis, steps, batch});
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
  layers_ =
      declareLayers<LayerParams>(input_, hidden_, hidden_, options_.numLayers, options_.bias,
                                 [this](std::string n, Shape s, Attrs a) {
                                   return addParameter(std::move(n), std::move(s), std::move(a));
                                 });
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
  auto [timeAxis, steps, batch] = sequenceExtent(x, b.scope(), layer, input_, options_.batchFirst);
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
    Value projected =
        projectSteps(sequence, state(x, p.weightIh),
                     options_.bias ? state(x, p.biasIh) + state(x, p.biasHh) : Value(),
                     {timeAxis, steps, batch});
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
