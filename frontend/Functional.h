// The functional half of the DSL (torch.nn.functional): activations, softmax, dropout,
// pooling. The names follow PyTorch (snake_case) so that model code reads like the
// tutorial's. Each call appends primitive nodes scoped "<layer>/<function>", e.g.
// relu(fc1(x)) gives "fc1/relu".
#pragma once

#include "kiln/frontend/Value.h"

namespace kiln {

/// 1 / (1 + exp(-x)).
Value sigmoid(const Value &x);
Value tanh(const Value &x);
/// max(x, 0).
Value relu(const Value &x);
/// The error function, as Eigen's and XLA's f32 erf compute it: x clamped to [-4, 4]
/// (where erf is +-1 in f32), then a rational function x P(x^2) / Q(x^2). Within 7e-8 of
/// the true erf everywhere, below f32's resolution near 1.
Value erf(const Value &x);
/// PyTorch's default (exact) GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))).
Value gelu(const Value &x);
/// x where x > 0, else slope * x.
Value leaky_relu(const Value &x, double slope = 0.01);
/// The perceptron's threshold: 1 where x > 0, else 0 (same element type as x).
Value step(const Value &x);
/// exp(x) / sum(exp(x)) along `axis`, computed with the maximum subtracted.
Value softmax(const Value &x, int64_t axis = -1);
/// log(softmax(x)) along `axis`, stable for large logits.
Value log_softmax(const Value &x, int64_t axis = -1);

/// Train mode: zeroes each element with probability p (mask = uniform >= p, drawn from
/// the graph's step counter with a seed unique to this call) and scales the rest by
/// 1/(1-p). Eval mode: the identity. Throws unless 0 <= p <= 1.
Value dropout(const Value &x, double p);

/// Square or rectangular sizes for windows: `3` or `{3, 5}`.
struct Size2 {
  Size2(int64_t both) : h(both), w(both) {}
  Size2(int64_t h, int64_t w) : h(h), w(w) {}
  std::vector<int64_t> vec() const { return {h, w}; }
  int64_t h, w;
};

/// Max pooling over NCHW windows; `stride` defaults to the kernel size.
Value max_pool2d(const Value &x, Size2 kernel, Size2 stride, Size2 padding = 0);
Value max_pool2d(const Value &x, Size2 kernel);
/// Average pooling; padded cells count in the average (count_include_pad=True).
Value avg_pool2d(const Value &x, Size2 kernel, Size2 stride, Size2 padding = 0);
Value avg_pool2d(const Value &x, Size2 kernel);

/// nn.MaxPool2d: `kiln::MaxPool2d pool{2, 2};`.
class MaxPool2d {
public:
  MaxPool2d(Size2 kernel) : MaxPool2d(kernel, kernel) {}
  MaxPool2d(Size2 kernel, Size2 stride, Size2 padding = 0);
  Value operator()(const Value &x) const { return max_pool2d(x, kernel_, stride_, padding_); }

private:
  Size2 kernel_, stride_, padding_;
};

/// nn.AvgPool2d.
class AvgPool2d {
public:
  AvgPool2d(Size2 kernel) : AvgPool2d(kernel, kernel) {}
  AvgPool2d(Size2 kernel, Size2 stride, Size2 padding = 0);
  Value operator()(const Value &x) const { return avg_pool2d(x, kernel_, stride_, padding_); }

private:
  Size2 kernel_, stride_, padding_;
};

/// nn.Dropout: `kiln::Dropout dropout{0.25};`.
class Dropout {
public:
  explicit Dropout(double p = 0.5);
  Value operator()(const Value &x) const { return dropout(x, p_); }
  double p() const { return p_; }

private:
  double p_;
};

/// nn.Flatten: merges dimensions startDim..endDim (by default all but the batch).
class Flatten {
public:
  explicit Flatten(int64_t startDim = 1, int64_t endDim = -1)
      : startDim_(startDim), endDim_(endDim) {}
  Value operator()(const Value &x) const { return x.flatten(startDim_, endDim_); }

private:
  int64_t startDim_, endDim_;
};

} // namespace kiln
