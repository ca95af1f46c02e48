// The optimizer update as graph nodes. Each function transcribes PyTorch 1.13's
// single-tensor implementation line by line (the Python is quoted above it), so the
// rounding order matches: hyperparameter arithmetic such as `1 - beta1` is done in
// double and emitted as a constant, tensor arithmetic in the parameter's type.
#include "kiln/runtime/optim/Optimizer.h"

#include "kiln/ir/Builder.h"
#include "kiln/ir/Error.h"

#include <set>

namespace kiln {

ValueId stepCounter(Graph &graph) {
  const Type type{DType::I32, {}};
  if (auto step = graph.findNamed(kStepStateName)) {
    const Node &node = graph.node(*step);
    if (node.op != OpKind::State || node.type != type)
      fail("'{}' must be {} state for the optimizer, found {} {}", kStepStateName, type.str(),
           mnemonic(node.op), node.type.str());
    return *step;
  }
  return graph.addState(std::string(kStepStateName), type,
                        {{"init", std::string("zeros")}, {"trainable", false}});
}

namespace {

/// Builds the update of one parameter under the scope "optim/<param>". Scalars that
/// depend on the learning rate or the step are rank-0 f64 values; `spread` rounds them
/// to the parameter's type and broadcasts them to its shape.
class ParamUpdate {
public:
  ParamUpdate(Graph &graph, ValueId param, ValueId grad, ValueId lr, ValueId step)
      : name_(graph.node(param).name), b_(graph, "optim/" + name_), param_(param), grad_(grad),
        step_(step), lr64_(b_.convert(lr, DType::F64)), type_(graph.type(param)) {}

  ValueId param() const { return param_; }
  ValueId grad() const { return grad_; }
  /// The learning rate as an f64 scalar.
  ValueId lr64() const { return lr64_; }
  IRBuilder &b() { return b_; }

  /// A constant of the parameter's type.
  ValueId full(double value) { return b_.constant(value, type_.dtype, type_.shape); }
  /// An f64 scalar constant.
  ValueId scalar(double value) { return b_.constant(value, DType::F64); }
  /// An f64 scalar rounded to the parameter's type and broadcast to its shape.
  ValueId spread(ValueId scalar64) {
    return b_.broadcastTo(b_.convert(scalar64, type_.dtype), type_.shape);
  }
  /// x * c for a double c, as PyTorch's `x.mul_(c)`.
  ValueId scale(ValueId x, double c) { return b_.mul(x, full(c)); }
  /// self + alpha * other, as PyTorch's `self.add(other, alpha=alpha)`.
  ValueId addScaled(ValueId self, ValueId other, double alpha) {
    return b_.add(self, b_.mul(full(alpha), other));
  }

  /// The f64 step count t = step + 1 that this step completes.
  ValueId completedSteps() { return b_.add(b_.convert(step_, DType::F64), scalar(1.0)); }
  /// A bool tensor of the parameter's shape: true on the very first step.
  ValueId firstStep() {
    ValueId isFirst = b_.compare(step_, b_.constant(0, DType::I32), "eq");
    return b_.broadcastTo(isFirst, type_.shape);
  }

  /// Declares the optimizer slot `slot` as zero-initialized, non-trainable state; the
  /// caller records its new value with update().
  ValueId slot(const std::string &slot) {
    return b_.graph().addState(slotStateName(name_, slot), type_,
                               {{"init", std::string("zeros")}, {"trainable", false}}, b_.scope());
  }
  void update(ValueId state, ValueId value) { b_.graph().addUpdate(state, value); }

private:
  std::string name_;
  IRBuilder b_;
  ValueId param_, grad_, step_, lr64_;
  Type type_;
};

/// torch.optim.SGD (covers the Momentum kind):
///   if weight_decay != 0: d_p = d_p.add(param, alpha=weight_decay)
///   if momentum != 0:
///     buf = clone(d_p) on the first step, else buf.mul_(momentum).add_(d_p, alpha=1-dampening)
///     d_p = d_p.add(buf, alpha=momentum) if nesterov else buf
///   param.add_(d_p, alpha=-lr)
void sgd(ParamUpdate &u, const OptimizerConfig &c) {
  IRBuilder &b = u.b();
  ValueId g = u.grad();
  if (c.weightDecay != 0)
    g = u.addScaled(g, u.param(), c.weightDecay);
  if (c.momentum != 0) {
    ValueId buf = u.slot("momentum_buffer");
    ValueId accumulated = u.addScaled(u.scale(buf, c.momentum), g, 1 - c.dampening);
    ValueId newBuf = b.select(u.firstStep(), g, accumulated);
    u.update(buf, newBuf);
    g = c.nesterov ? u.addScaled(g, newBuf, c.momentum) : newBuf;
  }
  // param + (-lr) * d_p equals param - lr * d_p exactly: negation does not round.
  u.update(u.param(), b.sub(u.param(), b.mul(u.spread(u.lr64()), g)));
}

/// torch.optim.RMSprop with centered=False:
///   if weight_decay != 0: grad = grad.add(param, alpha=weight_decay)
///   square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha)
///   avg = square_avg.sqrt().add_(eps)
///   if momentum > 0: buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
///   else: param.addcdiv_(grad, avg, value=-lr)
void rmsprop(ParamUpdate &u, const OptimizerConfig &c) {
  IRBuilder &b = u.b();
  ValueId g = u.grad();
  if (c.weightDecay != 0)
    g = u.addScaled(g, u.param(), c.weightDecay);
  ValueId squareAvg = u.slot("square_avg");
  ValueId newSquareAvg =
      b.add(u.scale(squareAvg, c.alpha), b.mul(b.mul(u.full(1 - c.alpha), g), g));
  u.update(squareAvg, newSquareAvg);
  ValueId avg = b.add(b.op(OpKind::Sqrt, {newSquareAvg}), u.full(c.eps));
  ValueId direction = b.div(g, avg);
  if (c.momentum > 0) {
    ValueId buf = u.slot("momentum_buffer");
    direction = b.add(u.scale(buf, c.momentum), direction);
    u.update(buf, direction);
  }
  u.update(u.param(), b.sub(u.param(), b.mul(u.spread(u.lr64()), direction)));
}

/// torch.optim.Adam, and AdamW when `decoupled`:
///   AdamW: param.mul_(1 - lr * weight_decay)
///   Adam:  if weight_decay != 0: grad = grad.add(param, alpha=weight_decay)
///   exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
///   exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
///   bias_correction1 = 1 - beta1 ** step;  bias_correction2 = 1 - beta2 ** step
///   step_size = lr / bias_correction1
///   denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(eps)
///   param.addcdiv_(exp_avg, denom, value=-step_size)
void adam(ParamUpdate &u, const OptimizerConfig &c, bool decoupled) {
  IRBuilder &b = u.b();
  ValueId p = u.param(), g = u.grad();
  if (decoupled) {
    if (c.weightDecay != 0) {
      ValueId factor = b.sub(u.scalar(1.0), b.mul(u.lr64(), u.scalar(c.weightDecay)));
      p = b.mul(p, u.spread(factor));
    }
  } else if (c.weightDecay != 0) {
    g = u.addScaled(g, p, c.weightDecay);
  }
  ValueId expAvg = u.slot("exp_avg"), expAvgSq = u.slot("exp_avg_sq");
  ValueId newExpAvg = u.addScaled(u.scale(expAvg, c.beta1), g, 1 - c.beta1);
  ValueId newExpAvgSq = b.add(u.scale(expAvgSq, c.beta2), b.mul(b.mul(u.full(1 - c.beta2), g), g));
  u.update(expAvg, newExpAvg);
  u.update(expAvgSq, newExpAvgSq);

  ValueId t = u.completedSteps();
  ValueId one = u.scalar(1.0);
  ValueId biasCorrection1 = b.sub(one, b.op(OpKind::Pow, {u.scalar(c.beta1), t}));
  ValueId biasCorrection2 = b.sub(one, b.op(OpKind::Pow, {u.scalar(c.beta2), t}));
  ValueId stepSize = b.div(u.lr64(), biasCorrection1);
  ValueId biasCorrection2Sqrt = b.op(OpKind::Sqrt, {biasCorrection2});
  ValueId denom =
      b.add(b.div(b.op(OpKind::Sqrt, {newExpAvgSq}), u.spread(biasCorrection2Sqrt)), u.full(c.eps));
  u.update(u.param(), b.sub(p, b.mul(u.spread(stepSize), b.div(newExpAvg, denom))));
}

void checkOperands(const Graph &graph, ValueId param, ValueId grad) {
  auto defined = [&](ValueId v) { return v >= 0 && static_cast<size_t>(v) < graph.size(); };
  if (!defined(param) || !defined(grad))
    fail("optimizer: parameter %{} or its gradient %{} is not defined", param, grad);
  const Node &node = graph.node(param);
  if (node.op != OpKind::State)
    fail("optimizer: %{} ({}) is not a parameter: only graph state can be updated", param,
         mnemonic(node.op));
  if (!isFloat(node.type.dtype))
    fail("optimizer: parameter '{}' must be a float tensor, got {}", node.name, node.type.str());
  if (graph.type(grad) != node.type)
    fail("optimizer: the gradient of '{}' ({}) has type {}", node.name, node.type.str(),
         graph.type(grad).str());
}

} // namespace

void buildOptimizerUpdate(Graph &graph, const OptimizerConfig &config,
                          const std::vector<std::pair<ValueId, ValueId>> &paramGrads, ValueId lr) {
  validate(config);
  if (lr < 0 || static_cast<size_t>(lr) >= graph.size() || graph.type(lr) != Type{DType::F32, {}})
    fail("optimizer: the learning rate must be an f32[] value");
  std::set<ValueId> seen;
  for (const auto &[param, grad] : paramGrads) {
    checkOperands(graph, param, grad);
    if (!seen.insert(param).second)
      fail("optimizer: parameter '{}' is listed twice", graph.node(param).name);
  }
  ValueId step = stepCounter(graph);
  for (const auto &[param, grad] : paramGrads) {
    ParamUpdate u(graph, param, grad, lr, step);
    switch (config.kind) {
    case OptimizerKind::SGD:
    case OptimizerKind::Momentum:
      sgd(u, config);
      break;
    case OptimizerKind::RMSprop:
      rmsprop(u, config);
      break;
    case OptimizerKind::Adam:
      adam(u, config, /*decoupled=*/false);
      break;
    case OptimizerKind::AdamW:
      adam(u, config, /*decoupled=*/true);
      break;
    }
  }
}

} // namespace kiln
