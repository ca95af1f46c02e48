#include "kiln/frontend/Loss.h"

#include "kiln/frontend/Emit.h"

namespace kiln {

using detail::Emitter;

namespace {
/// Checks (f32[B,C], i32[B]) and returns -mean_b sum_c logProbs * one_hot(labels).
ValueId pickedMean(Emitter &e, const Value &logProbs, const Value &labels, ValueId lp) {
  IRBuilder &b = e.b();
  int64_t classes = logProbs.dim(1);
  ValueId hot = b.op(OpKind::OneHot, {labels.id()},
                     {{"depth", classes}, {"dtype", std::string(dtypeName(logProbs.dtype()))}});
  ValueId picked = b.reduceSum(b.mul(lp, hot), {1});
  return b.neg(b.op(OpKind::ReduceMean, {picked}, {{"axes", std::vector<int64_t>{0}}}));
}

void checkClassification(const Emitter &e, const char *fn, const Value &scores,
                         const Value &labels) {
  if (scores.rank() != 2 || !isFloat(scores.dtype()))
    e.fail("{} expects float scores [B,C], got {}", fn, scores.type().str());
  if (labels.rank() != 1 || labels.dtype() != DType::I32)
    e.fail("{} expects i32 labels [B], got {}", fn, labels.type().str());
  if (labels.dim(0) != scores.dim(0))
    e.fail("{}: {} scores but {} labels ({} vs {})", fn, scores.dim(0), labels.dim(0),
           scores.type().str(), labels.type().str());
}
} // namespace

Value cross_entropy(const Value &logits, const Value &labels) {
  Emitter e(logits, "cross_entropy");
  checkClassification(e, "cross_entropy", logits, labels);
  ValueId lp = detail::logSoftmax(e.b(), logits.id(), 1);
  return e.wrap(pickedMean(e, logits, labels, lp));
}

Value nll_loss(const Value &logProbs, const Value &labels) {
  Emitter e(logProbs, "nll_loss");
  checkClassification(e, "nll_loss", logProbs, labels);
  return e.wrap(pickedMean(e, logProbs, labels, logProbs.id()));
}

namespace {
std::vector<int64_t> allAxes(int64_t rank) {
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < rank; ++i)
    axes.push_back(i);
  return axes;
}

void checkSameType(const Emitter &e, const char *fn, const Value &a, const Value &b) {
  if (a.type() != b.type())
    e.fail("{}: prediction {} and target {} differ", fn, a.type().str(), b.type().str());
  if (!isFloat(a.dtype()))
    e.fail("{} needs float values, got {}", fn, a.type().str());
}
} // namespace

Value mse_loss(const Value &prediction, const Value &target) {
  Emitter e(prediction, "mse_loss");
  checkSameType(e, "mse_loss", prediction, target);
  IRBuilder &b = e.b();
  ValueId d = b.sub(prediction.id(), target.id());
  return e.wrap(detail::reduce(b, OpKind::ReduceMean, b.mul(d, d), allAxes(prediction.rank()),
                               /*keepdim=*/false));
}

Value binary_cross_entropy(const Value &probabilities, const Value &target) {
  Emitter e(probabilities, "binary_cross_entropy");
  checkSameType(e, "binary_cross_entropy", probabilities, target);
  IRBuilder &b = e.b();
  Shape shape = probabilities.shape();
  DType dt = probabilities.dtype();
  ValueId p = probabilities.id(), t = target.id();
  ValueId floor = b.constant(-100.0, dt, shape), one = b.constant(1.0, dt, shape);
  ValueId logP = b.op(OpKind::Max, {b.log(p), floor});
  ValueId log1mP = b.op(OpKind::Max, {b.log(b.sub(one, p)), floor});
  ValueId ll = b.add(b.mul(t, logP), b.mul(b.sub(one, t), log1mP));
  return e.wrap(b.neg(detail::reduce(b, OpKind::ReduceMean, ll, allAxes(probabilities.rank()),
                                     /*keepdim=*/false)));
}

} // namespace kiln
