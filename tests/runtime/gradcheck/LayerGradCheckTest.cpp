// Layer-level gradient checks: layers the frontend builds from primitives, checked as
// whole graphs against central differences in f64.
#include "kiln/ir/Builder.h"
#include "kiln/passes/Autodiff.h"
#include "kiln/runtime/gradcheck/GradCheck.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

constexpr uint64_t kSeed = 97;
using Ints = std::vector<int64_t>;

void requirePassed(const GradCheckRow &row) {
  INFO(row.op << " (seed " << kSeed << ") on " << row.shapes << ": max abs error "
              << row.maxAbsError << ", max rel error " << row.maxRelError);
  CHECK(row.passed);
}

} // namespace

TEST_CASE("softmax + cross-entropy", "[gradcheck][layers]") {
  // L = mean_n( -sum_c onehot(y)_nc * log_softmax(x)_nc ), with the max subtracted for
  // stability as the frontend does.
  const int64_t batch = 3, classes = 17;
  Graph g("softmax_xent");
  IRBuilder b(g);
  ValueId logits = g.addInput("logits", {DType::F64, {batch, classes}});
  ValueId labels = g.addInput("labels", {DType::I32, {batch}});
  Shape full{batch, classes};
  ValueId max = b.op(OpKind::ReduceMax, {logits}, {{"axes", Ints{1}}});
  ValueId shifted = b.sub(logits, b.broadcast(max, full, {0}));
  ValueId logSum = b.log(b.reduceSum(b.exp(shifted), {1}));
  ValueId logSoftmax = b.sub(shifted, b.broadcast(logSum, full, {0}));
  ValueId onehot =
      b.op(OpKind::OneHot, {labels}, {{"depth", classes}, {"dtype", std::string("f64")}});
  ValueId picked = b.reduceSum(b.mul(onehot, logSoftmax), {1});
  ValueId loss = b.neg(b.op(OpKind::ReduceMean, {picked}, {{"axes", Ints{0}}}));

  Tensor y(Type{DType::I32, {batch}});
  y.set(0, 4);
  y.set(1, 0);
  y.set(2, 16);
  requirePassed(gradCheckGraph(g, loss, {logits}, {{labels, y}}, kSeed, "softmax_xent"));
}

TEST_CASE("batch-norm-style normalization", "[gradcheck][layers]") {
  // y = (x - mean) * rsqrt(var + eps) * gamma + beta over (N, H, W) per channel, with the
  // biased variance mean((x - mean)^2); L = sum(y * r).
  Shape xs{4, 3, 2, 3};
  Graph g("batch_norm");
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F64, xs});
  ValueId r = g.addInput("r", {DType::F64, xs});
  ValueId gamma = g.addState("gamma", {DType::F64, {3}});
  ValueId beta = g.addState("beta", {DType::F64, {3}});
  Ints axes{0, 2, 3};
  ValueId mean = b.op(OpKind::ReduceMean, {x}, {{"axes", axes}});
  ValueId centered = b.sub(x, b.broadcast(mean, xs, {1}));
  ValueId var = b.op(OpKind::ReduceMean, {b.mul(centered, centered)}, {{"axes", axes}});
  ValueId inv = b.op(OpKind::Rsqrt, {b.add(var, b.constant(1e-5, DType::F64, {3}))});
  ValueId normalized = b.mul(centered, b.broadcast(inv, xs, {1}));
  ValueId y = b.add(b.mul(normalized, b.broadcast(gamma, xs, {1})), b.broadcast(beta, xs, {1}));
  ValueId loss = b.reduceSum(b.mul(y, r), {0, 1, 2, 3});
  requirePassed(gradCheckGraph(g, loss, {x, gamma, beta}, kSeed, "batch_norm"));
}

TEST_CASE("an LSTM cell", "[gradcheck][layers]") {
  // z = [x, h] W + b; i, f, g, o = the four slices of z;
  // c' = logistic(f) c + logistic(i) tanh(g), h' = logistic(o) tanh(c');
  // L = sum(h' * r1) + sum(c' * r2).
  const int64_t batch = 2, in = 3, hidden = 4;
  Graph g("lstm_cell");
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F64, {batch, in}});
  ValueId h = g.addInput("h", {DType::F64, {batch, hidden}});
  ValueId c = g.addInput("c", {DType::F64, {batch, hidden}});
  ValueId r1 = g.addInput("r1", {DType::F64, {batch, hidden}});
  ValueId r2 = g.addInput("r2", {DType::F64, {batch, hidden}});
  ValueId w = g.addState("w", {DType::F64, {in + hidden, 4 * hidden}});
  ValueId bias = g.addState("bias", {DType::F64, {4 * hidden}});
  ValueId xh = b.op(OpKind::Concat, {x, h}, {{"axis", int64_t(1)}});
  ValueId z = b.add(b.op(OpKind::Matmul, {xh, w}), b.broadcast(bias, {batch, 4 * hidden}, {1}));
  auto gate = [&](int64_t k) {
    return b.op(OpKind::Slice, {z},
                {{"start", Ints{0, k * hidden}}, {"limit", Ints{batch, (k + 1) * hidden}}});
  };
  ValueId i = b.op(OpKind::Logistic, {gate(0)});
  ValueId f = b.op(OpKind::Logistic, {gate(1)});
  ValueId cand = b.op(OpKind::Tanh, {gate(2)});
  ValueId o = b.op(OpKind::Logistic, {gate(3)});
  ValueId c2 = b.add(b.mul(f, c), b.mul(i, cand));
  ValueId h2 = b.mul(o, b.op(OpKind::Tanh, {c2}));
  ValueId loss = b.add(b.reduceSum(b.mul(h2, r1), {0, 1}), b.reduceSum(b.mul(c2, r2), {0, 1}));
  requirePassed(gradCheckGraph(g, loss, {x, h, c, w, bias}, kSeed, "lstm_cell"));
}

TEST_CASE("a small CNN block: conv, relu, max pool, linear", "[gradcheck][layers]") {
  // Random inputs can land near relu's kink or a pooling tie; seeded, this draw does not.
  Graph g("cnn_block");
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F64, {2, 1, 6, 6}});
  ValueId w = g.addState("w", {DType::F64, {3, 1, 3, 3}});
  ValueId fc = g.addState("fc", {DType::F64, {4, 27}});
  ValueId conv = b.op(OpKind::Conv2d, {x, w}, {{"padding", Ints{1, 1}}});
  ValueId relu = b.op(OpKind::Max, {conv, b.constant(0.0, DType::F64, {2, 3, 6, 6})});
  ValueId pooled = b.op(OpKind::MaxPool2d, {relu}, {{"window", Ints{2, 2}}});
  ValueId flat = b.reshape(pooled, {2, 27});
  ValueId logits = b.op(OpKind::Matmul, {flat, fc}, {{"transpose_b", true}});
  ValueId loss = b.reduceSum(b.op(OpKind::Tanh, {logits}), {0, 1});
  requirePassed(gradCheckGraph(g, loss, {x, w, fc}, kSeed, "cnn_block"));
}

TEST_CASE("second derivatives: differentiating a gradient graph", "[gradcheck][layers]") {
  // L2 = sum(dL/dx * r1) + sum(dL/dw * r2) for L = sum(tanh(avgpool(conv(x, w)) ...)): the
  // rules of conv2d_input_grad, conv2d_filter_grad, avg_pool2d_grad, max_pool2d_grad
  // and of the elementwise gradients are exercised by the second sweep.
  Graph g("double_backward");
  IRBuilder b(g);
  ValueId x = g.addInput("x", {DType::F64, {1, 2, 6, 5}});
  ValueId w = g.addState("w", {DType::F64, {3, 2, 3, 2}});
  Attrs convAttrs{{"stride", Ints{1, 2}}, {"padding", Ints{1, 1}}};
  ValueId conv = b.op(OpKind::Conv2d, {x, w}, convAttrs);
  ValueId act = b.op(OpKind::Tanh, {conv});
  ValueId avg = b.op(OpKind::AvgPool2d, {act}, {{"window", Ints{2, 2}}});
  ValueId max = b.op(OpKind::MaxPool2d, {act}, {{"window", Ints{3, 2}}, {"stride", Ints{3, 1}}});
  ValueId loss = b.add(b.reduceSum(b.mul(avg, avg), {0, 1, 2, 3}),
                       b.reduceSum(b.op(OpKind::Exp, {max}), {0, 1, 2, 3}));
  std::vector<ValueId> grads = differentiate(g, loss, {x, w});
  ValueId r1 = g.addInput("r1", g.type(x));
  ValueId r2 = g.addInput("r2", g.type(w));
  ValueId loss2 = b.add(b.reduceSum(b.mul(grads[0], r1), {0, 1, 2, 3}),
                        b.reduceSum(b.mul(grads[1], r2), {0, 1, 2, 3}));
  requirePassed(gradCheckGraph(g, loss2, {x, w}, kSeed, "double_backward"));
}
