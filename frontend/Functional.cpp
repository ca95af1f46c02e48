#include "kiln/frontend/Functional.h"

#include "kiln/frontend/Emit.h"

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
