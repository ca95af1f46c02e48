#include "kiln/frontend/Functional.h"

#include "kiln/frontend/Emit.h"

#include <cmath>
#include <iterator>

namespace kiln {

using detail::Emitter;

namespace {
Value unary(const Value &x, OpKind op, const char *fn) {
  Emitter e(x, fn);
  if (!isFloat(x.dtype()))
    e.fail("{} needs a float input, got {}", fn, x.type().str());
  return e.wrap(e.b().op(op, {x.id()}));
}
} // namespace

Value sigmoid(const Value &x) { return unary(x, OpKind::Logistic, "sigmoid"); }
Value tanh(const Value &x) { return unary(x, OpKind::Tanh, "tanh"); }

Value relu(const Value &x) {
  Emitter e(x, "relu");
  Shape shape = x.shape();
  return e.wrap(e.b().op(OpKind::Max, {x.id(), e.b().constant(0.0, x.dtype(), shape)}));
}

namespace {
/// erf(x) on the builder of `e`, for a float x; see erf() in the header.
ValueId erfNodes(Emitter &e, ValueId x) {
  IRBuilder &b = e.b();
  const Type type = b.type(x);
  auto k = [&](double c) { return b.constant(c, type.dtype, type.shape); };
  // No op has erf's derivative built in: the clamp and the rational function are plain
  // primitives, so autodiff differentiates the approximation itself (within 3e-6 of
  // 2/sqrt(pi) exp(-x^2)).
  ValueId clamped = b.op(OpKind::Max, {b.op(OpKind::Min, {x, k(4.0)}), k(-4.0)});
  ValueId x2 = b.mul(clamped, clamped);
  // Eigen's generic_fast_erf_float coefficients: odd numerator, even denominator.
  static constexpr double kAlpha[] = {
      -2.72614225801306e-10, 2.77068142495902e-08,  -2.10102402082508e-06, -5.69250639462346e-05,
      -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02};
  static constexpr double kBeta[] = {-1.45660718464996e-05, -2.13374055278905e-04,
                                     -1.68282697438203e-03, -7.37332916720468e-03,
                                     -1.42647390514189e-02};
  auto horner = [&](const auto &coefficients) {
    ValueId acc = k(coefficients[0]);
    for (size_t i = 1; i < std::size(coefficients); ++i)
      acc = b.add(b.mul(acc, x2), k(coefficients[i]));
    return acc;
  };
  return b.op(OpKind::Div, {b.mul(clamped, horner(kAlpha)), horner(kBeta)});
}
} // namespace

Value erf(const Value &x) {
  Emitter e(x, "erf");
  if (!isFloat(x.dtype()))
    e.fail("erf needs a float input, got {}", x.type().str());
  return e.wrap(erfNodes(e, x.id()));
}

Value gelu(const Value &x) {
  Emitter e(x, "gelu");
  if (!isFloat(x.dtype()))
    e.fail("gelu needs a float input, got {}", x.type().str());
  IRBuilder &b = e.b();
  Shape shape = x.shape();
  auto k = [&](double c) { return b.constant(c, x.dtype(), shape); };
  ValueId phi = b.mul(k(0.5), b.add(k(1.0), erfNodes(e, b.mul(x.id(), k(M_SQRT1_2)))));
  return e.wrap(b.mul(x.id(), phi));
}

Value leaky_relu(const Value &x, double slope) {
  Emitter e(x, "leaky_relu");
  IRBuilder &b = e.b();
  Shape shape = x.shape();
  ValueId positive = b.compare(x.id(), b.constant(0.0, x.dtype(), shape), "gt");
  ValueId scaled = b.mul(x.id(), b.constant(slope, x.dtype(), shape));
  return e.wrap(b.select(positive, x.id(), scaled));
}

Value step(const Value &x) {
  Emitter e(x, "step");
  IRBuilder &b = e.b();
  Shape shape = x.shape();
  ValueId positive = b.compare(x.id(), b.constant(0.0, x.dtype(), shape), "gt");
  return e.wrap(b.convert(positive, x.dtype()));
}

Value softmax(const Value &x, int64_t axis) {
  Emitter e(x, "softmax");
  if (!isFloat(x.dtype()))
    e.fail("softmax needs a float input, got {}", x.type().str());
  return e.wrap(detail::softmax(e.b(), x.id(), detail::normalizeAxis(e, axis, x.rank())));
}

Value log_softmax(const Value &x, int64_t axis) {
  Emitter e(x, "log_softmax");
  if (!isFloat(x.dtype()))
    e.fail("log_softmax needs a float input, got {}", x.type().str());
  return e.wrap(detail::logSoftmax(e.b(), x.id(), detail::normalizeAxis(e, axis, x.rank())));
}

Value dropout(const Value &x, double p) {
  Emitter e(x, "dropout");
  if (!(p >= 0.0 && p <= 1.0))
    e.fail("dropout probability must be in [0, 1], got {}", p);
  if (!isFloat(x.dtype()))
    e.fail("dropout needs a float input, got {}", x.type().str());
  Tracer &t = e.tracer();
  if (!t.training() || p == 0.0)
    return x;
  IRBuilder &b = e.b();
  Shape shape = x.shape();
  ValueId counter = t.stepCounter();
  // The seed separates the call sites; the step counter makes each step's mask new.
  ValueId u =
      b.op(OpKind::RandomUniform, {counter}, {{"seed", t.nextSeed(e.scope())}, {"shape", shape}});
  ValueId keep = b.compare(u, b.constant(p, DType::F32, shape), "ge");
  // p == 1 keeps nothing (uniform < 1), so the scale is never used then.
  double scale = p < 1.0 ? 1.0 / (1.0 - p) : 0.0;
  ValueId scaled = b.mul(x.id(), b.constant(scale, x.dtype(), shape));
  return e.wrap(b.select(keep, scaled, b.constant(0.0, x.dtype(), shape)));
}

namespace {
Value pool(const Value &x, OpKind op, const char *fn, Size2 kernel, Size2 stride, Size2 padding) {
  Emitter e(x, fn);
  if (x.rank() != 4)
    e.fail("{} expects an NCHW input, got {}", fn, x.type().str());
  return e.wrap(
      e.b().op(op, {x.id()},
               {{"window", kernel.vec()}, {"stride", stride.vec()}, {"padding", padding.vec()}}));
}

void checkWindow(const char *layer, Size2 kernel, Size2 stride, Size2 padding) {
  if (kernel.h < 1 || kernel.w < 1 || stride.h < 1 || stride.w < 1)
    fail("{}: kernel and stride must be >= 1, got kernel {} stride {}", layer,
         shapeStr(kernel.vec()), shapeStr(stride.vec()));
  if (padding.h < 0 || padding.w < 0 || 2 * padding.h > kernel.h || 2 * padding.w > kernel.w)
    fail("{}: padding {} must be between 0 and half the kernel {}", layer, shapeStr(padding.vec()),
         shapeStr(kernel.vec()));
}
} // namespace

Value max_pool2d(const Value &x, Size2 kernel, Size2 stride, Size2 padding) {
  return pool(x, OpKind::MaxPool2d, "pool", kernel, stride, padding);
}
Value max_pool2d(const Value &x, Size2 kernel) { return max_pool2d(x, kernel, kernel); }
Value avg_pool2d(const Value &x, Size2 kernel, Size2 stride, Size2 padding) {
  return pool(x, OpKind::AvgPool2d, "avg_pool", kernel, stride, padding);
}
Value avg_pool2d(const Value &x, Size2 kernel) { return avg_pool2d(x, kernel, kernel); }

MaxPool2d::MaxPool2d(Size2 kernel, Size2 stride, Size2 padding)
    : kernel_(kernel), stride_(stride), padding_(padding) {
  checkWindow("MaxPool2d", kernel, stride, padding);
}

AvgPool2d::AvgPool2d(Size2 kernel, Size2 stride, Size2 padding)
    : kernel_(kernel), stride_(stride), padding_(padding) {
  checkWindow("AvgPool2d", kernel, stride, padding);
}

Dropout::Dropout(double p) : p_(p) {
  if (!(p >= 0.0 && p <= 1.0))
    fail("Dropout: probability must be in [0, 1], got {}", p);
}

} // namespace kiln
