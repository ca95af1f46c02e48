#include "kiln/passes/GradHelpers.h"

#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/ShapeRules.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace kiln::grad {

ValueId zerosLike(IRBuilder &b, ValueId like) { return b.constantLike(0.0, like); }

ValueId scale(IRBuilder &b, ValueId v, double factor) {
  return b.mul(v, b.constantLike(factor, v));
}

ValueId maskedOrZero(IRBuilder &b, ValueId pred, ValueId v) {
  return b.select(pred, v, zerosLike(b, v));
}

ValueId zeroOrMasked(IRBuilder &b, ValueId pred, ValueId v) {
  return b.select(pred, zerosLike(b, v), v);
}

ValueId slice(IRBuilder &b, ValueId v, std::vector<int64_t> start, std::vector<int64_t> limit,
              std::optional<std::vector<int64_t>> stride) {
  Attrs attrs{{"start", std::move(start)}, {"limit", std::move(limit)}};
  if (stride)
    attrs.set("stride", std::move(*stride));
  return b.op(OpKind::Slice, {v}, std::move(attrs));
}

ValueId pad(IRBuilder &b, ValueId v, std::vector<int64_t> low, std::vector<int64_t> high,
            double value) {
  Attrs attrs{{"low", std::move(low)}, {"high", std::move(high)}};
  if (value != 0.0)
    attrs.set("value", value);
  return b.op(OpKind::Pad, {v}, std::move(attrs));
}

ValueId matmul(IRBuilder &b, ValueId a, ValueId c, bool transposeA, bool transposeB) {
  Attrs attrs;
  if (transposeA)
    attrs.set("transpose_a", true);
  if (transposeB)
    attrs.set("transpose_b", true);
  return b.op(OpKind::Matmul, {a, c}, std::move(attrs));
}

namespace {

/// Spreads `v` along `axis` so that element j lands at j * stride, zeros in between;
/// the result has `length` elements on that axis (length <= n * stride).
ValueId dilate(IRBuilder &b, ValueId v, size_t axis, int64_t stride, int64_t length) {
  Shape shape = b.type(v).shape;
  int64_t n = shape[axis];
  Shape split = shape;
  split.insert(split.begin() + static_cast<std::ptrdiff_t>(axis) + 1, 1);
  std::vector<int64_t> low(split.size(), 0), high(split.size(), 0);
  high[axis + 1] = stride - 1;
  ValueId spread = pad(b, b.reshape(v, split), low, std::move(high));
  Shape merged = shape;
  merged[axis] = n * stride;
  spread = b.reshape(spread, merged);
  if (length == n * stride)
    return spread;
  std::vector<int64_t> start(merged.size(), 0), limit = merged;
  limit[axis] = length;
  return slice(b, spread, std::move(start), std::move(limit));
}

} // namespace

ValueId sliceAdjoint(IRBuilder &b, ValueId dy, Shape operandShape,
                     const std::vector<int64_t> &start, const std::vector<int64_t> &stride) {
  ValueId v = dy;
  for (size_t i = 0; i < operandShape.size(); ++i) {
    int64_t n = b.type(v).shape[i];
    if (stride[i] == 1 || n == 0)
      continue;
    // The last element sits at (n-1)*stride; keep the trailing zeros only while they fit.
    int64_t length = std::min(n * stride[i], operandShape[i] - start[i]);
    v = dilate(b, v, i, stride[i], length);
  }
  Shape shape = b.type(v).shape;
  std::vector<int64_t> high(shape.size());
  bool padded = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    high[i] = operandShape[i] - start[i] - shape[i];
    assert(high[i] >= 0 && "slice adjoint: scattered gradient overruns the operand");
    padded = padded || start[i] != 0 || high[i] != 0;
  }
  return padded ? pad(b, v, start, std::move(high)) : v;
}

ValueId broadcastAdjoint(IRBuilder &b, ValueId dy, Shape operandShape,
                         const std::vector<int64_t> &dims) {
  Shape result = b.type(dy).shape;
  std::vector<int64_t> axes;
  for (int64_t d = 0; d < static_cast<int64_t>(result.size()); ++d) {
    auto it = std::find(dims.begin(), dims.end(), d);
    if (it == dims.end()) {
      axes.push_back(d); // a new dimension
      continue;
    }
    int64_t from = operandShape[static_cast<size_t>(it - dims.begin())];
    if (from != result[static_cast<size_t>(d)])
      axes.push_back(d); // an expanded size-1 dimension
  }
  return b.reshape(b.reduceSum(dy, std::move(axes)), operandShape);
}

ValueId maxPoolGather(IRBuilder &b, ValueId x, ValueId dz, const Attrs &poolAttrs) {
  WindowAttrs p = windowAttrs(poolAttrs);
  const Pair &window = p.window, &stride = p.stride, &padding = p.padding;
  Shape shape = b.type(x).shape;
  int64_t outH = windowOutputSize(shape[2], window[0], stride[0], padding[0], 1, "height");
  int64_t outW = windowOutputSize(shape[3], window[1], stride[1], padding[1], 1, "width");

  ValueId px = x, pdz = dz;
  if (padding[0] || padding[1]) {
    std::vector<int64_t> pads{0, 0, padding[0], padding[1]};
    px = pad(b, x, pads, pads, -std::numeric_limits<double>::infinity());
    pdz = pad(b, dz, pads, pads);
  }
  std::optional<ValueId> best, picked;
  for (int64_t kh = 0; kh < window[0]; ++kh) {
    for (int64_t kw = 0; kw < window[1]; ++kw) {
      std::vector<int64_t> start{0, 0, kh, kw};
      std::vector<int64_t> limit{shape[0], shape[1], kh + (outH - 1) * stride[0] + 1,
                                 kw + (outW - 1) * stride[1] + 1};
      std::vector<int64_t> steps{1, 1, stride[0], stride[1]};
      ValueId xk = slice(b, px, start, limit, steps);
      ValueId dzk = slice(b, pdz, start, limit, steps);
      if (!best) {
        best = xk;
        picked = dzk;
        continue;
      }
      // Strictly greater: on a tie the earlier offset keeps the gradient.
      ValueId better = b.compare(xk, *best, "gt");
      best = b.select(better, xk, *best);
      picked = b.select(better, dzk, *picked);
    }
  }
  return *picked;
}

Attrs without(const Attrs &attrs, std::string_view key) {
  Attrs out;
  for (const auto &[k, v] : attrs)
    if (k != key)
      out.set(k, v);
  return out;
}

Attrs with(Attrs attrs, std::string key, AttrValue value) {
  attrs.set(std::move(key), std::move(value));
  return attrs;
}

} // namespace kiln::grad
