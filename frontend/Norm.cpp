#include "kiln/frontend/Norm.h"

#include "kiln/frontend/Emit.h"

#include <algorithm>

namespace kiln {

BatchNorm::BatchNorm(Module *parent, std::string name, int64_t numFeatures,
                     BatchNormOptions options, std::vector<int64_t> ranks, const char *kind)
    : Module(parent, std::move(name)), features_(numFeatures), options_(options),
      ranks_(std::move(ranks)), kind_(kind) {
  if (features_ < 1)
    fail("{}: {}({}) needs a positive number of features", scope(), kind_, features_);
  if (!(options_.eps > 0.0) || !(options_.momentum >= 0.0 && options_.momentum <= 1.0))
    fail("{}: {}: eps must be > 0 and momentum in [0, 1], got eps {} momentum {}", scope(), kind_,
         options_.eps, options_.momentum);
  weight_ = addParameter("weight", {features_}, onesInit());
  bias_ = addParameter("bias", {features_}, zerosInit());
  runningMean_ = addBuffer("running_mean", {DType::F32, {features_}}, zerosInit());
  runningVar_ = addBuffer("running_var", {DType::F32, {features_}}, onesInit());
  batches_ = addBuffer("num_batches_tracked", {DType::I32, {}}, zerosInit());
}

Value BatchNorm::forward(Value x) {
  Tracer &t = x.tracer();
  IRBuilder &b = t.builder();
  Type type = x.type();
  bool rankOk = std::find(ranks_.begin(), ranks_.end(), type.rank()) != ranks_.end();
  if (!rankOk || type.shape[1] != features_ || type.dtype != DType::F32)
    fail("{}: {}({}) got input {}", b.scope(), kind_, features_, type.str());
  const Shape &shape = type.shape;
  std::vector<int64_t> axes{0};
  for (int64_t a = 2; a < type.rank(); ++a)
    axes.push_back(a);
  const Shape channel{features_};
  auto perChannel = [&](ValueId v) { return b.broadcast(v, shape, {1}); };
  auto scalar = [&](double c) { return b.constant(c, DType::F32, channel); };
  ValueId weight = state(x, weight_).id(), bias = state(x, bias_).id();
  ValueId runningMean = state(x, runningMean_).id(), runningVar = state(x, runningVar_).id();

  if (!t.training()) {
    ValueId scale = b.mul(weight, b.op(OpKind::Rsqrt, {b.add(runningVar, scalar(options_.eps))}));
    ValueId shift = b.sub(bias, b.mul(runningMean, scale));
    return t.wrap(b.add(b.mul(x.id(), perChannel(scale)), perChannel(shift)), b.scope());
  }

  int64_t n = type.numElements() / features_;
  if (n < 2)
    fail("{}: {}({}) got input {}: training needs more than 1 value per channel", b.scope(), kind_,
         features_, type.str());
  Graph &g = t.graph();
  if (g.findUpdate(runningMean))
    fail("{}: {} is applied twice in one training graph; its running statistics can be "
         "updated once per step",
         b.scope(), kind_);
  ValueId mean = b.op(OpKind::ReduceMean, {x.id()}, {{"axes", axes}});
  ValueId centered = b.sub(x.id(), perChannel(mean));
  ValueId var = b.op(OpKind::ReduceMean, {b.mul(centered, centered)}, {{"axes", axes}});
  ValueId scale = b.mul(weight, b.op(OpKind::Rsqrt, {b.add(var, scalar(options_.eps))}));
  ValueId y = b.add(b.mul(centered, perChannel(scale)), perChannel(bias));

  {
    auto guard = b.enter("running_stats");
    double m = options_.momentum;
    // The unbiased variance's n / (n - 1) is counted in the graph, not baked in as a
    // number: a model file replayed at another batch size then counts its own n
    // (constant folding turns the count back into one number before code generation).
    ValueId count =
        b.op(OpKind::ReduceSum, {b.constant(1.0, DType::F32, type.shape)}, {{"axes", axes}});
    ValueId unbias = b.div(count, b.sub(count, scalar(1.0)));
    g.addUpdate(runningMean, b.add(b.mul(runningMean, scalar(1.0 - m)), b.mul(mean, scalar(m))));
    g.addUpdate(runningVar,
                b.add(b.mul(runningVar, scalar(1.0 - m)), b.mul(b.mul(var, unbias), scalar(m))));
    ValueId batches = state(x, batches_).id();
    g.addUpdate(batches, b.add(batches, b.constant(1.0, DType::I32)));
  }
  return t.wrap(y, b.scope());
}

LayerNorm::LayerNorm(Module *parent, std::string name, Shape normalizedShape,
                     LayerNormOptions options)
    : Module(parent, std::move(name)), normalized_(std::move(normalizedShape)), options_(options) {
  if (normalized_.empty() || numElements(normalized_) < 1)
    fail("{}: LayerNorm({}) needs a non-empty normalized shape", scope(), shapeStr(normalized_));
  if (!(options_.eps > 0.0))
    fail("{}: LayerNorm eps must be > 0, got {}", scope(), options_.eps);
  if (options_.elementwiseAffine) {
    weight_ = addParameter("weight", normalized_, onesInit());
    bias_ = addParameter("bias", normalized_, zerosInit());
  }
}

Value LayerNorm::forward(Value x) {
  Tracer &t = x.tracer();
  IRBuilder &b = t.builder();
  Type type = x.type();
  int64_t k = static_cast<int64_t>(normalized_.size());
  if (type.rank() < k || type.dtype != DType::F32 ||
      !std::equal(normalized_.begin(), normalized_.end(), type.shape.end() - k))
    fail("{}: LayerNorm({}) got input {}", b.scope(), shapeStr(normalized_), type.str());
  const Shape &shape = type.shape;
  std::vector<int64_t> axes;
  for (int64_t a = type.rank() - k; a < type.rank(); ++a)
    axes.push_back(a);
  ValueId mean = b.op(OpKind::ReduceMean, {x.id()}, {{"axes", axes}});
  ValueId centered = b.sub(x.id(), detail::expandReduced(b, mean, shape, axes));
  ValueId var = b.op(OpKind::ReduceMean, {b.mul(centered, centered)}, {{"axes", axes}});
  Shape reduced = b.type(var).shape;
  ValueId inv = b.op(OpKind::Rsqrt, {b.add(var, b.constant(options_.eps, DType::F32, reduced))});
  ValueId y = b.mul(centered, detail::expandReduced(b, inv, shape, axes));
  if (options_.elementwiseAffine) {
    y = b.mul(y, b.broadcastTo(state(x, weight_).id(), shape));
    y = b.add(y, b.broadcastTo(state(x, bias_).id(), shape));
  }
  return t.wrap(y, b.scope());
}

} // namespace kiln
