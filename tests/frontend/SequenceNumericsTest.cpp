// The sequence layers (RNN, Embedding, GELU, the pre-norm Transformer encoder layer)
// computed by the reference interpreter and compared with values worked out by hand or
// by a direct double-precision loop in the test.
#include "RunGraph.h"
#include "kiln/frontend/Frontend.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kiln;
using namespace kiln::test;

namespace {
Type f32(Shape s) { return {DType::F32, std::move(s)}; }

/// Row-major matrices of the double-precision references.
using Mat = std::vector<double>;

/// y[r] = W x[r] + b for x [rows, in], W [out, in].
Mat linear(const Mat &x, int64_t rows, int64_t in, const Mat &w, const Mat &b, int64_t out) {
  Mat y(static_cast<size_t>(rows * out));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = b.empty() ? 0.0 : b[static_cast<size_t>(o)];
      for (int64_t i = 0; i < in; ++i)
        s += w[static_cast<size_t>(o * in + i)] * x[static_cast<size_t>(r * in + i)];
      y[static_cast<size_t>(r * out + o)] = s;
    }
  return y;
}

double geluRef(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }

/// Seeded state values in [-scale, scale) for every state of `g`, by name.
std::map<std::string, Tensor> seededState(const Graph &g, double scale) {
  std::map<std::string, Tensor> out;
  uint32_t seed = 11;
  for (ValueId id : g.states()) {
    std::vector<double> v = pseudoRandom(g.type(id).numElements(), seed++);
    for (double &x : v)
      x *= scale;
    out[g.node(id).name] = tensor(g.type(id), v);
  }
  return out;
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numElements(); ++i)
    v.push_back(t.at(i));
  return v;
}
} // namespace

TEST_CASE("two RNN steps match tanh(W_ih x + b_ih + W_hh h + b_hh) by hand",
          "[frontend][numerics][rnn]") {
  struct M : Module {
    using Module::Module;
    RNN rnn{this, "rnn", 2, 1, {.batchFirst = true}};
    Value forward(Value x) override { return rnn(x).output; }
  } model;
  Graph g;
  Traced tr = trace(model, g, f32({1, 2, 2}), Mode::Eval);
  g.addOutput("y", tr.output);
  std::map<std::string, Tensor> out =
      run(g, {{"x", tensor(f32({1, 2, 2}), {0.5, -1.0, 2.0, 0.25})}},
          {{"rnn.weight_ih_l0", tensor(f32({1, 2}), {0.3, -0.2})},
           {"rnn.weight_hh_l0", tensor(f32({1, 1}), {0.7})},
           {"rnn.bias_ih_l0", tensor(f32({1}), {0.1})},
           {"rnn.bias_hh_l0", tensor(f32({1}), {-0.05})}});
  // h1 = tanh(0.3*0.5 - 0.2*(-1) + 0.1 - 0.05) = tanh(0.4)
  // h2 = tanh(0.3*2 - 0.2*0.25 + 0.05 + 0.7*h1) = tanh(0.6 + 0.7 tanh(0.4))
  double h1 = std::tanh(0.4), h2 = std::tanh(0.6 + 0.7 * h1);
  REQUIRE(out["y"].numElements() == 2);
  CHECK(out["y"].at(0) == Approx(h1).epsilon(1e-6));
  CHECK(out["y"].at(1) == Approx(h2).epsilon(1e-6));
}

TEST_CASE("a 2-layer RNN equals a hand-unrolled double-precision reference",
          "[frontend][numerics][rnn]") {
  bool relu = GENERATE(false, true);
  INFO((relu ? "relu" : "tanh"));
  const int64_t steps = 4, batch = 2, in = 3, hidden = 5, layers = 2;
  struct M : Module {
    M(bool relu)
        : rnn(this, "rnn", 3, 5,
              {.numLayers = 2,
               .nonlinearity =
                   relu ? RNNOptions::Nonlinearity::Relu : RNNOptions::Nonlinearity::Tanh}) {}
    RNN rnn;
    Value forward(Value x) override { return rnn(x).output; }
  } model(relu);
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({steps, batch, in})); // [T, B, in]: PyTorch's default layout
  Value h0 = t.input("h0", f32({layers, batch, hidden}));
  RNNOutput r = model.rnn(x, h0);
  g.addOutput("output", r.output.id());
  g.addOutput("h_n", r.h_n.id());
  std::map<std::string, Tensor> state = seededState(g, 0.6);
  Mat xs = pseudoRandom(steps * batch * in, 3), hs = pseudoRandom(layers * batch * hidden, 4);
  std::map<std::string, Tensor> out = run(g,
                                          {{"x", tensor(f32({steps, batch, in}), xs)},
                                           {"h0", tensor(f32({layers, batch, hidden}), hs)}},
                                          state);

  auto param = [&](const std::string &name) { return values(state.at("rnn." + name)); };
  Mat sequence = xs; // [T, B, width]
  int64_t width = in;
  Mat finalH;
  for (int64_t l = 0; l < layers; ++l) {
    std::string k = "_l" + std::to_string(l);
    Mat wih = param("weight_ih" + k), whh = param("weight_hh" + k);
    Mat bih = param("bias_ih" + k), bhh = param("bias_hh" + k);
    Mat h(hs.begin() + l * batch * hidden, hs.begin() + (l + 1) * batch * hidden);
    Mat next;
    for (int64_t ts = 0; ts < steps; ++ts) {
      Mat xt(sequence.begin() + ts * batch * width, sequence.begin() + (ts + 1) * batch * width);
      Mat a = linear(xt, batch, width, wih, bih, hidden);
      Mat b = linear(h, batch, hidden, whh, bhh, hidden);
      for (size_t i = 0; i < h.size(); ++i)
        h[i] = relu ? std::max(a[i] + b[i], 0.0) : std::tanh(a[i] + b[i]);
      next.insert(next.end(), h.begin(), h.end());
    }
    finalH.insert(finalH.end(), h.begin(), h.end());
    sequence = next;
    width = hidden;
  }
  REQUIRE(out["output"].type() == f32({steps, batch, hidden}));
  REQUIRE(out["h_n"].type() == f32({layers, batch, hidden}));
  for (size_t i = 0; i < sequence.size(); ++i)
    CHECK(out["output"].at(int64_t(i)) == Approx(sequence[i]).margin(1e-6));
  for (size_t i = 0; i < finalH.size(); ++i)
    CHECK(out["h_n"].at(int64_t(i)) == Approx(finalH[i]).margin(1e-6));
}

TEST_CASE("Embedding picks the weight's rows by index", "[frontend][numerics][embedding]") {
  struct M : Module {
    using Module::Module;
    Embedding emb{this, "emb", 5, 3};
    Value forward(Value x) override { return emb(x); }
  } model;
  Graph g;
  Traced tr = trace(model, g, {DType::I32, {2, 2}}, Mode::Eval);
  g.addOutput("y", tr.output);
  Mat w = pseudoRandom(15, 5);
  Tensor idx(Type{DType::I32, {2, 2}});
  std::vector<int> picks{4, 0, 2, 4};
  for (int64_t i = 0; i < 4; ++i)
    idx.set(i, picks[size_t(i)]);
  std::map<std::string, Tensor> out =
      run(g, {{"x", idx}}, {{"emb.weight", tensor(f32({5, 3}), w)}});
  REQUIRE(out["y"].type() == f32({2, 2, 3}));
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t d = 0; d < 3; ++d)
      CHECK(out["y"].at(3 * i + d) == Approx(w[size_t(3 * picks[size_t(i)] + d)]).margin(1e-7));
}

TEST_CASE("erf and gelu match std::erf and PyTorch's exact GELU", "[frontend][numerics]") {
  Mat xs;
  for (int i = -60; i <= 60; ++i)
    xs.push_back(i / 10.0 + 0.013); // -6..6, off the grid of round numbers
  int64_t n = static_cast<int64_t>(xs.size());
  Graph g;
  Tracer t(g, Mode::Eval);
  Value x = t.input("x", f32({n}));
  g.addOutput("erf", erf(x).id());
  g.addOutput("gelu", gelu(x).id());
  std::map<std::string, Tensor> out = run(g, {{"x", tensor(f32({n}), xs)}});
  for (int64_t i = 0; i < n; ++i) {
    // float inputs: compare with the function of the float the graph saw.
    double v = static_cast<float>(xs[size_t(i)]);
    INFO("x = " << v);
    CHECK(out["erf"].at(i) == Approx(std::erf(v)).margin(3e-7));
    CHECK(out["gelu"].at(i) == Approx(geluRef(v)).margin(1e-6));
  }
}

TEST_CASE("a pre-norm GELU encoder layer equals a double-precision reference",
          "[frontend][numerics][attention]") {
  const int64_t batch = 2, steps = 3, embed = 4, heads = 2, ff = 6, depth = embed / heads;
  struct M : Module {
    using Module::Module;
    TransformerEncoderLayer layer{this,
                                  "layer",
                                  4,
                                  2,
                                  {.dimFeedforward = 6,
                                   .batchFirst = true,
                                   .activation = TransformerEncoderLayerOptions::Activation::Gelu,
                                   .normFirst = true}};
    Value forward(Value x) override { return layer(x); }
  } model;
  Graph g;
  Traced tr = trace(model, g, f32({batch, steps, embed}), Mode::Eval);
  g.addOutput("y", tr.output);
  // Non-trivial norm weights and biases too, so that each one is seen to be applied.
  std::map<std::string, Tensor> state = seededState(g, 0.8);
  Mat xs = pseudoRandom(batch * steps * embed, 9);
  for (double &v : xs)
    v *= 2.0;
  std::map<std::string, Tensor> out =
      run(g, {{"x", tensor(f32({batch, steps, embed}), xs)}}, state);

  auto p = [&](const std::string &name) { return values(state.at("layer." + name)); };
  const int64_t rows = batch * steps;
  auto layerNorm = [&](const Mat &x, const std::string &norm) {
    Mat w = p(norm + ".weight"), b = p(norm + ".bias"), y(x.size());
    for (int64_t r = 0; r < rows; ++r) {
      double mean = 0, var = 0;
      for (int64_t e = 0; e < embed; ++e)
        mean += x[size_t(r * embed + e)] / embed;
      for (int64_t e = 0; e < embed; ++e)
        var += std::pow(x[size_t(r * embed + e)] - mean, 2) / embed;
      for (int64_t e = 0; e < embed; ++e)
        y[size_t(r * embed + e)] =
            (x[size_t(r * embed + e)] - mean) / std::sqrt(var + 1e-5) * w[size_t(e)] + b[size_t(e)];
    }
    return y;
  };
  auto attention = [&](const Mat &x) {
    Mat w = p("self_attn.in_proj_weight"), b = p("self_attn.in_proj_bias");
    Mat wq(w.begin(), w.begin() + embed * embed), bq(b.begin(), b.begin() + embed);
    Mat wk(w.begin() + embed * embed, w.begin() + 2 * embed * embed);
    Mat bk(b.begin() + embed, b.begin() + 2 * embed);
    Mat wv(w.begin() + 2 * embed * embed, w.end()), bv(b.begin() + 2 * embed, b.end());
    Mat q = linear(x, rows, embed, wq, bq, embed), k = linear(x, rows, embed, wk, bk, embed);
    Mat v = linear(x, rows, embed, wv, bv, embed), context(x.size(), 0.0);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < steps; ++i) {
          auto at = [&](const Mat &m, int64_t s, int64_t d) {
            return m[size_t((n * steps + s) * embed + h * depth + d)];
          };
          Mat score(static_cast<size_t>(steps));
          double total = 0;
          for (int64_t j = 0; j < steps; ++j) {
            double dot = 0;
            for (int64_t d = 0; d < depth; ++d)
              dot += at(q, i, d) * at(k, j, d);
            score[size_t(j)] = std::exp(dot / std::sqrt(double(depth)));
            total += score[size_t(j)];
          }
          for (int64_t d = 0; d < depth; ++d)
            for (int64_t j = 0; j < steps; ++j)
              context[size_t((n * steps + i) * embed + h * depth + d)] +=
                  score[size_t(j)] / total * at(v, j, d);
        }
    return linear(context, rows, embed, p("self_attn.out_proj.weight"),
                  p("self_attn.out_proj.bias"), embed);
  };
  // x = x + self_attn(norm1(x)); x = x + linear2(gelu(linear1(norm2(x)))).
  Mat a = attention(layerNorm(xs, "norm1")), y = xs;
  for (size_t i = 0; i < y.size(); ++i)
    y[i] += a[i];
  Mat hidden =
      linear(layerNorm(y, "norm2"), rows, embed, p("linear1.weight"), p("linear1.bias"), ff);
  for (double &v : hidden)
    v = geluRef(v);
  Mat f = linear(hidden, rows, ff, p("linear2.weight"), p("linear2.bias"), embed);
  for (size_t i = 0; i < y.size(); ++i)
    y[i] += f[i];

  REQUIRE(out["y"].type() == f32({batch, steps, embed}));
  for (size_t i = 0; i < y.size(); ++i)
    CHECK(out["y"].at(int64_t(i)) == Approx(y[i]).margin(1e-5));
}
