// nn.RNN and nn.LSTM, unrolled over the (static) sequence length: the graph holds one
// cell per layer and time step, so autodiff sees plain matmuls and elementwise ops.
#pragma once

#include "kiln/frontend/Module.h"

namespace kiln {

struct LSTMOptions {
  int64_t numLayers = 1;
  bool bias = true;
  /// Input and output as [batch, time, features] instead of [time, batch, features].
  bool batchFirst = false;
};

/// What nn.LSTM returns: output (h of the last layer at every step), and h_n, c_n
/// [numLayers, batch, hidden] (the final states of every layer).
struct LSTMOutput {
  Value output;
  Value h_n;
  Value c_n;
};

/// nn.LSTM with PyTorch's parameters: weight_ih_l{k} [4H, in_k], weight_hh_l{k} [4H, H],
/// bias_ih_l{k} and bias_hh_l{k} [4H], gate rows ordered i, f, g, o, all U(-1/sqrt(H),
/// 1/sqrt(H)). Per step:
///   i = σ(W_ii x + b_ii + W_hi h + b_hi)   f = σ(...)   g = tanh(...)   o = σ(...)
///   c' = f c + i g                          h' = o tanh(c')
class LSTM : public Module {
public:
  LSTM(Module *parent, std::string name, int64_t inputSize, int64_t hiddenSize,
       LSTMOptions options = {});

  /// Runs from zero initial states.
  LSTMOutput operator()(const Value &x);
  /// Runs from initial states h0, c0 [numLayers, batch, hidden].
  LSTMOutput operator()(const Value &x, const Value &h0, const Value &c0);
  /// The output sequence only (what a plain Module call returns).
  Value forward(Value x) override { return run(x, nullptr, nullptr).output; }

  int64_t inputSize() const { return input_; }
  int64_t hiddenSize() const { return hidden_; }

private:
  struct LayerParams {
    size_t weightIh, weightHh, biasIh, biasHh;
  };
  /// The unrolled computation, under whatever scope the caller entered.
  LSTMOutput run(const Value &x, const Value *h0, const Value *c0);
  /// run() under this module's scope, with the results owned by it.
  LSTMOutput call(const Value &x, const Value *h0, const Value *c0);

  int64_t input_, hidden_;
  LSTMOptions options_;
  std::vector<LayerParams> layers_;
};

struct RNNOptions {
  int64_t numLayers = 1;
  /// PyTorch's nonlinearity="tanh" (the default) or "relu".
  enum class Nonlinearity { Tanh, Relu } nonlinearity = Nonlinearity::Tanh;
  bool bias = true;
  /// Input and output as [batch, time, features] instead of [time, batch, features].
  bool batchFirst = false;
};

/// What nn.RNN returns: output (h of the last layer at every step) and h_n
/// [numLayers, batch, hidden].
struct RNNOutput {
  Value output;
  Value h_n;
};

/// nn.RNN (Elman) with PyTorch's parameters: weight_ih_l{k} [H, in_k], weight_hh_l{k}
/// [H, H], bias_ih_l{k} and bias_hh_l{k} [H], all U(-1/sqrt(H), 1/sqrt(H)). Per step:
///   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)   (relu instead of tanh if chosen)
class RNN : public Module {
public:
  RNN(Module *parent, std::string name, int64_t inputSize, int64_t hiddenSize,
      RNNOptions options = {});

  /// Runs from a zero initial state.
  RNNOutput operator()(const Value &x);
  /// Runs from the initial state h0 [numLayers, batch, hidden].
  RNNOutput operator()(const Value &x, const Value &h0);
  /// The output sequence only (what a plain Module call returns).
  Value forward(Value x) override { return run(x, nullptr).output; }

  int64_t inputSize() const { return input_; }
  int64_t hiddenSize() const { return hidden_; }

private:
  struct LayerParams {
    size_t weightIh, weightHh, biasIh, biasHh;
  };
  RNNOutput run(const Value &x, const Value *h0);
  RNNOutput call(const Value &x, const Value *h0);

  int64_t input_, hidden_;
  RNNOptions options_;
  std::vector<LayerParams> layers_;
};

} // namespace kiln
