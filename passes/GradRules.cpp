// One gradient rule per op. Each rule receives the forward node, its value y and dy =
// dL/dy, and emits dL/d(operand) = (dy/d operand)^T dy for the operands that need it.
// The maths of each rule is the comment above it; `ir` is the builder, so `a` and `b`
// can name the operands as in the formulas.
#include "kiln/passes/GradRules.h"

#include "kiln/ir/OpAttrs.h"
#include "kiln/passes/GradHelpers.h"

#include <algorithm>

namespace kiln {

using namespace grad;

namespace {

std::vector<int64_t> spatialSize(const Shape &shape) { return {shape[2], shape[3]}; }

/// The dimensions of a rank-`rank` value that survive a reduction over `axes`.
std::vector<int64_t> keptDims(int64_t rank, const std::vector<int64_t> &axes) {
  std::vector<int64_t> kept;
  for (int64_t d = 0; d < rank; ++d)
    if (std::find(axes.begin(), axes.end(), d) == axes.end())
      kept.push_back(d);
  return kept;
}

} // namespace

bool passesGradient(const Graph &graph, const Node &node, size_t index) {
  if (!opInfo(node.op).differentiable || !isFloat(node.type.dtype) ||
      !isFloat(graph.type(node.operands[index]).dtype))
    return false;
  // max_pool2d_grad only reads x to locate each window's maximum, which small changes of
  // x do not move: its derivative with respect to x is zero almost everywhere.
  return !(node.op == OpKind::MaxPool2dGrad && index == 0);
}

std::vector<std::optional<ValueId>> gradientRule(IRBuilder &ir, const Node &node, ValueId y,
                                                 ValueId dy, const std::vector<bool> &needed) {
  std::vector<std::optional<ValueId>> grads(node.operands.size());
  auto give = [&](size_t k, auto &&make) {
    if (needed[k])
      grads[k] = make();
  };
  const std::vector<ValueId> &in = node.operands;
  ValueId a = in.empty() ? -1 : in[0];
  ValueId b = in.size() > 1 ? in[1] : -1;
  const Attrs &attrs = node.attrs;

  switch (node.op) {
  // Sources, comparisons and index-valued ops are constant for the loss.
  case OpKind::Input:
  case OpKind::State:
  case OpKind::Constant:
  case OpKind::Iota:
  case OpKind::RandomUniform:
  case OpKind::Compare:
  case OpKind::Argmax:
  case OpKind::OneHot:
    break;

  case OpKind::AllReduce:
    // y_r = sum over ranks s of a_s (or its mean) on every rank r: a symmetric linear map,
    // so its adjoint is itself: da_r = sum over s of dy_s (or the mean).
    give(0, [&] { return ir.op(OpKind::AllReduce, {dy}, attrs); });
    break;

  case OpKind::Neg:
    // d/da -a = -1
    give(0, [&] { return ir.neg(dy); });
    break;
  case OpKind::Exp:
    // d/da exp(a) = exp(a) = y
    give(0, [&] { return ir.mul(dy, y); });
    break;
  case OpKind::Log:
    // d/da log(a) = 1/a
    give(0, [&] { return ir.div(dy, a); });
    break;
  case OpKind::Sqrt:
    // d/da sqrt(a) = 1 / (2 sqrt(a)) = 0.5 / y
    give(0, [&] { return ir.div(scale(ir, dy, 0.5), y); });
    break;
  case OpKind::Rsqrt:
    // d/da a^(-1/2) = -1/2 a^(-3/2) = -0.5 * y / a
    give(0, [&] { return scale(ir, ir.div(ir.mul(dy, y), a), -0.5); });
    break;
  case OpKind::Tanh:
    // d/da tanh(a) = 1 - tanh(a)^2 = 1 - y^2
    give(0, [&] { return ir.mul(dy, ir.sub(ir.constantLike(1.0, y), ir.mul(y, y))); });
    break;
  case OpKind::Logistic:
    // d/da logistic(a) = logistic(a) (1 - logistic(a)) = y (1 - y)
    give(0, [&] { return ir.mul(dy, ir.mul(y, ir.sub(ir.constantLike(1.0, y), y))); });
    break;
  case OpKind::Abs:
    // d/da |a| = sign(a), with sign(0) = 0 as in PyTorch
    give(0, [&] {
      ValueId zero = zerosLike(ir, a);
      ValueId negative = ir.select(ir.compare(a, zero, "lt"), ir.neg(dy), zerosLike(ir, dy));
      return ir.select(ir.compare(a, zero, "gt"), dy, negative);
    });
    break;
  case OpKind::Convert:
    // d/da convert(a) = 1, in a's float type (passesGradient keeps integer types out)
    give(0, [&] { return ir.convert(dy, ir.type(a).dtype); });
    break;

  case OpKind::Add:
    // d/da a+b = 1, d/db a+b = 1
    give(0, [&] { return dy; });
    give(1, [&] { return dy; });
    break;
  case OpKind::Sub:
    // d/da a-b = 1, d/db a-b = -1
    give(0, [&] { return dy; });
    give(1, [&] { return ir.neg(dy); });
    break;
  case OpKind::Mul:
    // d/da a*b = b, d/db a*b = a
    give(0, [&] { return ir.mul(dy, b); });
    give(1, [&] { return ir.mul(dy, a); });
    break;
  case OpKind::Div: {
    // d/da a/b = 1/b, d/db a/b = -a/b^2 = -(1/b) * y
    ValueId overB = ir.div(dy, b);
    give(0, [&] { return overB; });
    give(1, [&] { return ir.neg(ir.mul(overB, y)); });
    break;
  }
  case OpKind::Max: {
    // d/da max(a,b) = [a > b], d/db max(a,b) = [a <= b]: relu = max(x, 0) has gradient 0
    // at x == 0, as in PyTorch.
    ValueId aWins = ir.compare(a, b, "gt");
    give(0, [&] { return maskedOrZero(ir, aWins, dy); });
    give(1, [&] { return zeroOrMasked(ir, aWins, dy); });
    break;
  }
  case OpKind::Min: {
    // d/da min(a,b) = [a < b], d/db min(a,b) = [a >= b]
    ValueId aWins = ir.compare(a, b, "lt");
    give(0, [&] { return maskedOrZero(ir, aWins, dy); });
    give(1, [&] { return zeroOrMasked(ir, aWins, dy); });
    break;
  }
  case OpKind::Pow:
    // d/da a^b = b * a^(b-1)
    give(0, [&] {
      ValueId exponent = ir.sub(b, ir.constantLike(1.0, b));
      return ir.mul(dy, ir.mul(b, ir.op(OpKind::Pow, {a, exponent})));
    });
    // d/db a^b = a^b * log(a) = y * log(a) for a > 0, and 0 where a <= 0. The log reads
    // a guarded operand so that differentiating this again stays finite.
    give(1, [&] {
      ValueId positive = ir.compare(a, zerosLike(ir, a), "gt");
      ValueId safeA = ir.select(positive, a, ir.constantLike(1.0, a));
      return maskedOrZero(ir, positive, ir.mul(dy, ir.mul(y, ir.log(safeA))));
    });
    break;
  case OpKind::Select:
    // d/dt select(p,t,f) = [p], d/df select(p,t,f) = [!p]; the predicate is bool
    give(1, [&] { return maskedOrZero(ir, a, dy); });
    give(2, [&] { return zeroOrMasked(ir, a, dy); });
    break;

  case OpKind::ReduceSum: {
    // d/da_i sum_axes(a)_j = 1 for the j that i reduces into: broadcast dy back
    Shape shape = ir.type(a).shape;
    give(0, [&] {
      return ir.broadcast(dy, shape, keptDims(ir.type(a).rank(), attrs.getInts("axes")));
    });
    break;
  }
  case OpKind::ReduceMean: {
    // d/da_i mean_axes(a)_j = 1/count, count = the number of elements reduced into j
    Shape shape = ir.type(a).shape;
    const std::vector<int64_t> &axes = attrs.getInts("axes");
    int64_t count = 1;
    for (int64_t axis : axes)
      count *= shape[static_cast<size_t>(axis)];
    give(0, [&] {
      // An empty reduction leaves an empty operand: nothing to scale.
      ValueId share = count > 0 ? scale(ir, dy, 1.0 / static_cast<double>(count)) : dy;
      return ir.broadcast(share, shape, keptDims(ir.type(a).rank(), axes));
    });
    break;
  }
  case OpKind::ReduceMax: {
    // d/da_i max_axes(a)_j = [a_i == y_j] / ties_j (ties_j: how many a_i equal y_j), so
    // tied maxima share the gradient equally.
    Shape shape = ir.type(a).shape;
    const std::vector<int64_t> &axes = attrs.getInts("axes");
    give(0, [&] {
      std::vector<int64_t> kept = keptDims(ir.type(a).rank(), axes);
      ValueId isMax = ir.compare(a, ir.broadcast(y, shape, kept), "eq");
      ValueId ties = ir.reduceSum(maskedOrZero(ir, isMax, ir.constantLike(1.0, a)), axes);
      return maskedOrZero(ir, isMax, ir.broadcast(ir.div(dy, ties), shape, kept));
    });
    break;
  }

  case OpKind::Matmul: {
    // C = op(A) op(B), op = transpose where flagged (on the last two dims when batched):
    //   C = A B     : dA = dC B^T,   dB = A^T dC
    //   C = A B^T   : dA = dC B,     dB = dC^T A
    //   C = A^T B   : dA = B dC^T,   dB = A dC
    //   C = A^T B^T : dA = B^T dC^T, dB = dC^T A^T
    MatmulAttrs mm = matmulAttrs(attrs);
    bool ta = mm.transposeA, tb = mm.transposeB;
    give(0, [&] { return ta ? matmul(ir, b, dy, tb, true) : matmul(ir, dy, b, false, !tb); });
    give(1, [&] { return tb ? matmul(ir, dy, a, true, ta) : matmul(ir, a, dy, !ta, false); });
    break;
  }
  // conv2d, conv2d_input_grad and conv2d_filter_grad are the three partial derivatives of
  // one trilinear form T(x, w, dy) = <conv2d(x, w), dy>:
  //   conv2d(x, w) = dT/d dy,  input_grad(dy, w) = dT/dx,  filter_grad(x, dy) = dT/dw.
  // So the adjoint of each with respect to either operand is one of the other two.
  case OpKind::Conv2d:
    // Y = conv2d(x, w), <dY, Y> = T(x, w, dY): dx = input_grad(dY, w), dw = filter_grad(x, dY)
    give(0, [&] {
      return ir.op(OpKind::Conv2dInputGrad, {dy, b},
                   with(attrs, "input_size", spatialSize(ir.type(a).shape)));
    });
    give(1, [&] {
      return ir.op(OpKind::Conv2dFilterGrad, {a, dy},
                   with(attrs, "kernel", spatialSize(ir.type(b).shape)));
    });
    break;
  case OpKind::Conv2dInputGrad: {
    // Z = input_grad(dy, w), <dZ, Z> = T(dZ, w, dy):
    //   d dy = conv2d(dZ, w), dw = filter_grad(dZ, dy)
    Attrs conv = without(attrs, "input_size");
    give(0, [&] { return ir.op(OpKind::Conv2d, {dy, b}, conv); });
    give(1, [&] {
      return ir.op(OpKind::Conv2dFilterGrad, {dy, a},
                   with(conv, "kernel", spatialSize(ir.type(b).shape)));
    });
    break;
  }
  case OpKind::Conv2dFilterGrad: {
    // W = filter_grad(x, dy), <dW, W> = T(x, dW, dy):
    //   dx = input_grad(dy, dW), d dy = conv2d(x, dW)
    Attrs conv = without(attrs, "kernel");
    give(0, [&] {
      return ir.op(OpKind::Conv2dInputGrad, {b, dy},
                   with(conv, "input_size", spatialSize(ir.type(a).shape)));
    });
    give(1, [&] { return ir.op(OpKind::Conv2d, {a, dy}, conv); });
    break;
  }

  case OpKind::MaxPool2d:
    // d/dx maxpool(x)_w = [x_i is the maximum of window w]: route dy to the argmax
    give(0, [&] { return ir.op(OpKind::MaxPool2dGrad, {a, dy}, attrs); });
    break;
  case OpKind::MaxPool2dGrad:
    // Z = R_x^T dy with R_x dz = (dz at each window's argmax of x), linear in dy:
    //   d dy = R_x dZ (a gather); d/dx = 0 almost everywhere (see passesGradient).
    give(1, [&] { return maxPoolGather(ir, a, dy, attrs); });
    break;
  case OpKind::AvgPool2d:
    // d/dx_i avgpool(x)_w = [i in window w] / (KH*KW), padded cells counted
    give(0, [&] {
      return ir.op(OpKind::AvgPool2dGrad, {dy},
                   with(attrs, "input_size", spatialSize(ir.type(a).shape)));
    });
    break;
  case OpKind::AvgPool2dGrad:
    // Z = A^T dy where A = avg_pool2d is linear: d dy = A dZ
    give(0, [&] { return ir.op(OpKind::AvgPool2d, {dy}, without(attrs, "input_size")); });
    break;

  case OpKind::Reshape:
    // reshape only renames elements: reshape dy back
    give(0, [&] { return ir.reshape(dy, ir.type(a).shape); });
    break;
  case OpKind::Transpose:
    // y dim i = a dim perm[i]: transpose dy by the inverse permutation
    give(0, [&] {
      const std::vector<int64_t> &perm = attrs.getInts("perm");
      std::vector<int64_t> inverse(perm.size());
      for (size_t i = 0; i < perm.size(); ++i)
        inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
      return ir.transpose(dy, std::move(inverse));
    });
    break;
  case OpKind::Broadcast:
    // each a_i is copied to every y position it broadcasts to: sum those positions
    give(0, [&] { return broadcastAdjoint(ir, dy, ir.type(a).shape, attrs.getInts("dims")); });
    break;
  case OpKind::Slice:
    // y_j = a_(start + j*stride): scatter dy back to those positions, zero elsewhere
    give(0, [&] {
      SliceAttrs s = sliceAttrs(attrs);
      return sliceAdjoint(ir, dy, ir.type(a).shape, s.start, s.stride);
    });
    break;
  case OpKind::Concat: {
    // operand k occupies [offset_k, offset_k + size_k) along the axis: slice dy there
    int64_t axis = attrs.getInt("axis");
    Shape full = ir.type(dy).shape;
    int64_t offset = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      int64_t size = ir.type(in[k]).shape[static_cast<size_t>(axis)];
      give(k, [&] {
        std::vector<int64_t> start(full.size(), 0), limit = full;
        start[static_cast<size_t>(axis)] = offset;
        limit[static_cast<size_t>(axis)] = offset + size;
        return slice(ir, dy, std::move(start), std::move(limit));
      });
      offset += size;
    }
    break;
  }
  case OpKind::Pad:
    // y = a surrounded by the constant: slice the interior of dy
    give(0, [&] {
      std::vector<int64_t> start = attrs.getInts("low"), limit = start;
      Shape shape = ir.type(a).shape;
      for (size_t i = 0; i < shape.size(); ++i)
        limit[i] += shape[i];
      return slice(ir, dy, std::move(start), std::move(limit));
    });
    break;
  }
  return grads;
}

} // namespace kiln
