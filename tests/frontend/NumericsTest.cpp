// The frontend's layers computed by the reference interpreter and compared with values
// worked out by hand (or by a direct double-precision loop in the test).
#include "RunGraph.h"
#include "kiln/frontend/Frontend.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

using namespace kiln;
using namespace kiln::test;

namespace {
Type f32(Shape s) { return {DType::F32, std::move(s)}; }

} // namespace

TEST_CASE("softmax rows sum to one and match exp(x) / sum exp(x)", "[frontend][numerics]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  std::vector<double> x = pseudoRandom(15, 7);
  for (double &v : x)
    v *= 5.0;
  g.addOutput("y", softmax(t.input("x", f32({3, 5}))).id());
  Tensor y = run(g, {{"x", tensor(f32({3, 5}), x)}})["y"];
  for (int r = 0; r < 3; ++r) {
    double total = 0, denom = 0;
    for (int c = 0; c < 5; ++c)
      denom += std::exp(x[r * 5 + c]);
    for (int c = 0; c < 5; ++c) {
      total += y.at(r * 5 + c);
      CHECK(y.at(r * 5 + c) == Approx(std::exp(x[r * 5 + c]) / denom).epsilon(1e-5));
    }
    CHECK(total == Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("log_softmax stays finite and exact on large logits", "[frontend][numerics]") {
  Graph g;
  Tracer t(g, Mode::Eval);
  g.addOutput("y", log_softmax(t.input("x", f32({1, 3}))).id());
  // exp(1000) overflows f32; shifted by the maximum the answer is log_softmax(0, 1, 2).
  Tensor y = run(g, {{"x", tensor(f32({1, 3}), {1000, 1001, 1002})}})["y"];
  double lse = std::log(1 + std::exp(1.0) + std::exp(2.0));
  for (int i = 0; i < 3; ++i) {
    CHECK(std::isfinite(y.at(i)));
    CHECK(y.at(i) == Approx(i - lse).epsilon(1e-5));
  }
}

TEST_CASE("cross_entropy on a hand-computed case", "[frontend][numerics]") {
  Graph g;
  Tracer t(g, Mode::Train);
  Value logits = t.input("logits", f32({2, 3}));
  Value labels = t.input("y", {DType::I32, {2}});
  g.addOutput("loss", cross_entropy(logits, labels).id());
  Tensor loss = run(g, {{"logits", tensor(f32({2, 3}), {1, 2, 3, 1, 1, 1})},
                        {"y", tensor({DType::I32, {2}}, {2, 0})}})["loss"];
  // Row 0: -(3 - log(e + e^2 + e^3)) = 0.4076059644; row 1: log 3 = 1.0986122887.
  CHECK(loss.at(0) == Approx((0.4076059644 + 1.0986122887) / 2).epsilon(1e-6));
}

TEST_CASE("batch norm in train mode gives zero mean and unit variance per channel",
          "[frontend][numerics]") {
  struct M : Module {
    using Module::Module;
    BatchNorm2d bn{this, "bn", 3};
    Value forward(Value x) override { return bn(x); }
  } model;
  Graph g;
  Traced tr = trace(model, g, f32({4, 3, 2, 2}), Mode::Train);
  g.addOutput("y", tr.output);
  std::vector<double> x = pseudoRandom(48, 3);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 3.0 * x[i] + static_cast<double>((i / 4) % 3); // channel c is offset by c
  std::map<std::string, Tensor> r = run(g, {{"x", tensor(f32({4, 3, 2, 2}), x)}});
  for (int c = 0; c < 3; ++c) {
    double mean = 0, sq = 0, inMean = 0, inSq = 0;
    for (int n = 0; n < 4; ++n)
      for (int k = 0; k < 4; ++k) {
        int i = n * 12 + c * 4 + k;
        mean += r["y"].at(i) / 16;
        sq += r["y"].at(i) * r["y"].at(i) / 16;
        inMean += x[i] / 16;
        inSq += x[i] * x[i] / 16;
      }
    double var = inSq - inMean * inMean;
    CHECK(mean == Approx(0.0).margin(1e-5));
    CHECK(sq == Approx(var / (var + 1e-5)).epsilon(1e-4)); // 1 up to eps
    CHECK(r["bn.running_mean'"].at(c) == Approx(0.1 * inMean).epsilon(1e-4));
    CHECK(r["bn.running_var'"].at(c) == Approx(0.9 + 0.1 * var * 16 / 15).epsilon(1e-4));
  }
  CHECK(r["bn.num_batches_tracked'"].at(0) == 1);
}

TEST_CASE("one LSTM step matches the gate equations", "[frontend][numerics]") {
  struct M : Module {
    using Module::Module;
    LSTM lstm{this, "lstm", 2, 1, {.batchFirst = true}};
    Value forward(Value x) override { return lstm(x).output; }
  } model;
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({1, 1, 2}));
  Value h0 = t.input("h0", f32({1, 1, 1})), c0 = t.input("c0", f32({1, 1, 1}));
  LSTMOutput r = model.lstm(x, h0, c0);
  g.addOutput("h", r.h_n.id());
  g.addOutput("c", r.c_n.id());
  // Gate rows i, f, g, o.
  std::vector<double> wih{0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8}, whh{0.9, -1.0, 1.1, 1.2};
  std::vector<double> bih{0.01, 0.02, 0.03, 0.04}, bhh{-0.05, 0.06, 0.07, -0.08};
  double xs[2] = {0.5, -1.5}, h = 0.25, c = -0.75;
  std::map<std::string, Tensor> out = run(g,
                                          {{"x", tensor(f32({1, 1, 2}), {xs[0], xs[1]})},
                                           {"h0", tensor(f32({1, 1, 1}), {h})},
                                           {"c0", tensor(f32({1, 1, 1}), {c})}},
                                          {{"lstm.weight_ih_l0", tensor(f32({4, 2}), wih)},
                                           {"lstm.weight_hh_l0", tensor(f32({4, 1}), whh)},
                                           {"lstm.bias_ih_l0", tensor(f32({4}), bih)},
                                           {"lstm.bias_hh_l0", tensor(f32({4}), bhh)}});
  double gate[4];
  for (int k = 0; k < 4; ++k)
    gate[k] = wih[2 * k] * xs[0] + wih[2 * k + 1] * xs[1] + bih[k] + whh[k] * h + bhh[k];
  auto sigma = [](double v) { return 1 / (1 + std::exp(-v)); };
  double c1 = sigma(gate[1]) * c + sigma(gate[0]) * std::tanh(gate[2]);
  double h1 = sigma(gate[3]) * std::tanh(c1);
  CHECK(out["c"].at(0) == Approx(c1).epsilon(1e-5));
  CHECK(out["h"].at(0) == Approx(h1).epsilon(1e-5));
}

TEST_CASE("single-head attention with identity projections is softmax(x x^T / sqrt(d)) x",
          "[frontend][numerics]") {
  struct M : Module {
    using Module::Module;
    MultiheadAttention attn{this, "attn", 2, 1, {.batchFirst = true}};
    Value forward(Value x) override { return attn(x); }
  } model;
  Graph g;
  Traced tr = trace(model, g, f32({1, 2, 2}), Mode::Eval);
  g.addOutput("y", tr.output);
  std::vector<double> x{1.0, 0.0, 0.5, 2.0};
  std::map<std::string, Tensor> out =
      run(g, {{"x", tensor(f32({1, 2, 2}), x)}},
          {{"attn.in_proj_weight", tensor(f32({6, 2}), {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1})},
           {"attn.out_proj.weight", tensor(f32({2, 2}), {1, 0, 0, 1})}});
  for (int i = 0; i < 2; ++i) {
    double s[2], total = 0;
    for (int j = 0; j < 2; ++j) {
      s[j] = std::exp((x[2 * i] * x[2 * j] + x[2 * i + 1] * x[2 * j + 1]) / std::sqrt(2.0));
      total += s[j];
    }
    for (int d = 0; d < 2; ++d) {
      double expected = (s[0] * x[d] + s[1] * x[2 + d]) / total;
      CHECK(out["y"].at(2 * i + d) == Approx(expected).epsilon(1e-5));
    }
  }
}

TEST_CASE("dropout keeps about 1-p of the elements, scaled by 1/(1-p)", "[frontend][numerics]") {
  Graph g;
  Tracer t(g, Mode::Train);
  Value x = t.input("x", f32({4000}));
  g.addOutput("a", dropout(x, 0.25).id());
  g.addOutput("b", dropout(x, 0.25).id());
  std::map<std::string, Tensor> out = run(g, {{"x", Tensor::full(f32({4000}), 1.0)}});
  int keptA = 0, same = 0;
  for (int i = 0; i < 4000; ++i) {
    double a = out["a"].at(i), b = out["b"].at(i);
    CHECK((a == 0.0 || a == Approx(4.0 / 3.0)));
    keptA += a != 0.0;
    same += (a != 0.0) == (b != 0.0);
  }
  CHECK(keptA > 2800); // 3000 expected; the binomial's sd is about 27
  CHECK(keptA < 3200);
  CHECK(same < 3900); // two call sites draw different masks (expected agreement 62.5%)
}
