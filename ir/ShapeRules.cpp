// Shape rules, one case per op. The op's attribute schema is checked first
// (AttrSchema.h), and attribute families with defaults are read through the typed
// accessors (OpAttrs.h) that the interpreter, codegen and gradient rules also use.
#include "kiln/ir/ShapeRules.h"

#include "kiln/ir/AttrSchema.h"
#include "kiln/ir/CheckedMath.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/OpGroups.h"

#include <algorithm>
#include <cassert>
#include <set>

namespace kiln {

namespace {

void checkShape(const Shape &shape, const char *what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      fail("{} has a negative dimension: {}", what, shapeStr(shape));
    if (d > 0 && n > kMaxElements / d)
      fail("{} is too large: {}", what, shapeStr(shape));
    n *= d;
  }
}

DType dtypeAttr(const Attrs &attrs) {
  const std::string &name = attrs.getString("dtype");
  auto dtype = parseDType(name);
  if (!dtype)
    fail("unknown dtype '{}'", name);
  return *dtype;
}

Shape shapeAttr(const Attrs &attrs, const char *key = "shape") {
  Shape shape = attrs.getInts(key);
  checkShape(shape, key);
  return shape;
}

void requireFloat(const Type &t, const char *what) {
  if (!isFloat(t.dtype))
    fail("{} must be a float type, got {}", what, t.str());
}

void requireSame(const std::vector<Type> &ts) {
  for (size_t i = 1; i < ts.size(); ++i)
    if (ts[i] != ts[0])
      fail("operand types differ: {} vs {} (broadcasts are explicit)", ts[0].str(), ts[i].str());
}

void requireRank(const Type &t, int64_t rank, const char *what) {
  if (t.rank() != rank)
    fail("{} must have rank {}, got {}", what, rank, t.str());
}

std::vector<int64_t> checkedAxes(const Attrs &attrs, int64_t rank) {
  std::vector<int64_t> axes = attrs.getInts("axes");
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    if (a < 0 || a >= rank)
      fail("axis {} out of range for rank {}", a, rank);
    if (!seen.insert(a).second)
      fail("axis {} repeated", a);
  }
  return axes;
}

Type convOutput(const Type &x, const Type &w, const ConvAttrs &c) {
  requireRank(x, 4, "conv input");
  requireRank(w, 4, "conv filter");
  requireFloat(x, "conv input");
  if (x.dtype != w.dtype)
    fail("input and filter dtypes differ: {} vs {}", x.str(), w.str());
  int64_t channels = x.shape[1], out = w.shape[0];
  if (channels % c.groups || out % c.groups)
    fail("channels {} and filters {} must be divisible by groups {}", channels, out, c.groups);
  if (int64_t expected = checkedMul(w.shape[1], c.groups, "filter channels times groups");
      expected != channels)
    fail("filter expects {} input channels, input has {}", expected, channels);
  int64_t ho =
      windowOutputSize(x.shape[2], w.shape[2], c.stride[0], c.padding[0], c.dilation[0], "height");
  int64_t wo =
      windowOutputSize(x.shape[3], w.shape[3], c.stride[1], c.padding[1], c.dilation[1], "width");
  return {x.dtype, {x.shape[0], out, ho, wo}};
}

Type poolOutput(const Type &x, const WindowAttrs &p) {
  requireRank(x, 4, "pooling input");
  requireFloat(x, "pooling input");
  int64_t ho = windowOutputSize(x.shape[2], p.window[0], p.stride[0], p.padding[0], 1, "height");
  int64_t wo = windowOutputSize(x.shape[3], p.window[1], p.stride[1], p.padding[1], 1, "width");
  return {x.dtype, {x.shape[0], x.shape[1], ho, wo}};
}

Type matmulType(const Type &a, const Type &b, const Attrs &attrs) {
  requireFloat(a, "matmul operand");
  if (a.dtype != b.dtype)
    fail("operand dtypes differ: {} vs {}", a.str(), b.str());
  if (a.rank() != b.rank() || (a.rank() != 2 && a.rank() != 3))
    fail("operands must both be rank 2 or both rank 3, got {} and {}", a.str(), b.str());
  auto [ta, tb] = matmulAttrs(attrs);
  size_t r = a.shape.size();
  int64_t m = ta ? a.shape[r - 1] : a.shape[r - 2], ka = ta ? a.shape[r - 2] : a.shape[r - 1];
  int64_t kb = tb ? b.shape[r - 1] : b.shape[r - 2], n = tb ? b.shape[r - 2] : b.shape[r - 1];
  if (ka != kb)
    fail("contraction sizes differ: {} vs {}", ka, kb);
  if (r == 3) {
    if (a.shape[0] != b.shape[0])
      fail("batch sizes differ: {} vs {}", a.shape[0], b.shape[0]);
    return {a.dtype, {a.shape[0], m, n}};
  }
  return {a.dtype, {m, n}};
}

} // namespace

int64_t windowOutputSize(int64_t input, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, const char *axis) {
  int64_t span =
      checkedAdd(checkedMul(dilation, kernel - 1, "the dilated window"), 1, "the dilated window");
  int64_t padded = checkedAdd(input, checkedMul(2, padding, "the padding"), "the padded input");
  if (span > padded)
    fail("window {} (dilated {}) is larger than the padded input {} along {}", kernel, span, padded,
         axis);
  return (padded - span) / stride + 1;
}

namespace {

/// The op's rule, without the final size check.
/// The rule of the elementwise category: a plain op's follows from its Types column.
Type elementwiseRule(ElementwiseOp op, const std::vector<Type> &in, const Attrs &attrs) {
  switch (op) {
  case ElementwiseOp::Convert:
    return {dtypeAttr(attrs), in[0].shape};
  case ElementwiseOp::Compare:
    requireSame(in); // checkAttrs has checked the direction
    return {DType::Bool, in[0].shape};
  case ElementwiseOp::Select:
    if (in[0].dtype != DType::Bool)
      fail("the predicate must be bool, got {}", in[0].str());
    if (in[0].shape != in[1].shape)
      fail("predicate shape {} differs from {}", shapeStr(in[0].shape), in[1].str());
    if (in[1] != in[2])
      fail("branch types differ: {} vs {}", in[1].str(), in[2].str());
    return in[1];
  default: // a plain op
    break;
  }
  const char *what = in.size() == 1 ? "operand" : "operands";
  requireSame(in);
  switch (operandTypes(op)) {
  case OperandTypes::Numeric:
    if (in[0].dtype == DType::Bool)
      fail("{} must be numeric, got {}", what, in[0].str());
    break;
  case OperandTypes::Float:
    requireFloat(in[0], "operand");
    break;
  case OperandTypes::Own:
    fail("no shape rule: Ops.def gives this op Types Own, and elementwiseRule has no case");
  }
  return in[0];
}

Type applyRule(OpKind op, const std::vector<Type> &in, const Attrs &attrs) {
  int arity = opInfo(op).arity;
  if (arity >= 0 && in.size() != static_cast<size_t>(arity))
    fail("expects {} operands, got {}", arity, in.size());
  if (arity < 0 && in.empty())
    fail("expects at least one operand");
  checkAttrs(op, attrs);

  switch (op) {
  case OpKind::Input:
  case OpKind::State:
    fail("inputs and state have declared types");

  case OpKind::Constant: {
    Type t{dtypeAttr(attrs), shapeAttr(attrs)};
    if (attrs.has("data")) {
      size_t n = attrs.getFloats("data").size();
      if (static_cast<int64_t>(n) != t.numElements())
        fail("'data' has {} values, shape {} needs {}", n, shapeStr(t.shape), t.numElements());
      if (attrs.has("value"))
        fail("a constant has either 'value' or 'data', not both");
    } else {
      attrs.getFloat("value");
    }
    return t;
  }
  case OpKind::Iota: {
    Type t{dtypeAttr(attrs), shapeAttr(attrs)};
    int64_t axis = attrs.getInt("axis");
    if (axis < 0 || axis >= t.rank())
      fail("axis {} out of range for rank {}", axis, t.rank());
    return t;
  }
  case OpKind::RandomUniform:
    if (in[0] != Type{DType::I32, {}})
      fail("the counter must be i32[], got {}", in[0].str());
    return {DType::F32, shapeAttr(attrs)};

#define ELEMENTWISE(Enum, ...) case OpKind::Enum:
#include "kiln/ir/Ops.def"
    return elementwiseRule(*elementwiseOp(op), in, attrs);

  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMean: {
    if (in[0].dtype == DType::Bool)
      fail("operand must be numeric, got {}", in[0].str());
    if (op == OpKind::ReduceMean)
      requireFloat(in[0], "operand");
    std::vector<int64_t> axes = checkedAxes(attrs, in[0].rank());
    Shape out;
    for (int64_t i = 0; i < in[0].rank(); ++i)
      if (std::find(axes.begin(), axes.end(), i) == axes.end())
        out.push_back(in[0].shape[i]);
      else if (op == OpKind::ReduceMax && in[0].shape[i] == 0)
        fail("reduce_max over the empty axis {}", i);
    return {in[0].dtype, out};
  }
  case OpKind::Argmax: {
    int64_t axis = attrs.getInt("axis");
    if (axis < 0 || axis >= in[0].rank())
      fail("axis {} out of range for rank {}", axis, in[0].rank());
    if (in[0].shape[axis] == 0)
      fail("argmax over the empty axis {}", axis);
    Shape out = in[0].shape;
    out.erase(out.begin() + axis);
    return {DType::I32, out};
  }

  case OpKind::Matmul:
    return matmulType(in[0], in[1], attrs);
  case OpKind::Conv2d:
    return convOutput(in[0], in[1], convAttrs(attrs));
  case OpKind::Conv2dInputGrad: {
    const Type &dy = in[0], &w = in[1];
    requireRank(dy, 4, "output gradient");
    requireRank(w, 4, "filter");
    ConvAttrs c = convAttrs(attrs);
    Type x{dy.dtype,
           {dy.shape[0], checkedMul(w.shape[1], c.groups, "filter channels times groups"),
            c.inputSize[0], c.inputSize[1]}};
    if (convOutput(x, w, c) != dy)
      fail("output gradient {} does not match a convolution of {} by {}", dy.str(), x.str(),
           w.str());
    return x;
  }
  case OpKind::Conv2dFilterGrad: {
    const Type &x = in[0], &dy = in[1];
    requireRank(x, 4, "input");
    requireRank(dy, 4, "output gradient");
    ConvAttrs c = convAttrs(attrs);
    Type w{x.dtype, {dy.shape[1], x.shape[1] / c.groups, c.kernel[0], c.kernel[1]}};
    if (convOutput(x, w, c) != dy)
      fail("output gradient {} does not match a convolution of {} by {}", dy.str(), x.str(),
           w.str());
    return w;
  }

  case OpKind::MaxPool2d:
  case OpKind::AvgPool2d:
    return poolOutput(in[0], windowAttrs(attrs));
  case OpKind::MaxPool2dGrad:
    if (poolOutput(in[0], windowAttrs(attrs)) != in[1])
      fail("output gradient {} does not match pooling {}", in[1].str(), in[0].str());
    return in[0];
  case OpKind::AvgPool2dGrad: {
    requireRank(in[0], 4, "output gradient");
    WindowAttrs p = windowAttrs(attrs);
    Type x{in[0].dtype, {in[0].shape[0], in[0].shape[1], p.inputSize[0], p.inputSize[1]}};
    if (poolOutput(x, p) != in[0])
      fail("output gradient {} does not match pooling {}", in[0].str(), x.str());
    return x;
  }

  case OpKind::Reshape: {
    Shape shape = shapeAttr(attrs);
    if (numElements(shape) != in[0].numElements())
      fail("cannot reshape {} ({} elements) to {} ({} elements)", in[0].str(), in[0].numElements(),
           shapeStr(shape), numElements(shape));
    return {in[0].dtype, shape};
  }
  case OpKind::Transpose: {
    const std::vector<int64_t> &perm = attrs.getInts("perm");
    if (static_cast<int64_t>(perm.size()) != in[0].rank())
      fail("perm has {} entries for rank {}", perm.size(), in[0].rank());
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<int64_t>(i))
        fail("perm {} is not a permutation", shapeStr(perm));
    Shape out;
    for (int64_t p : perm)
      out.push_back(in[0].shape[p]);
    return {in[0].dtype, out};
  }
  case OpKind::Broadcast: {
    Shape shape = shapeAttr(attrs);
    const std::vector<int64_t> &dims = attrs.getInts("dims");
    if (static_cast<int64_t>(dims.size()) != in[0].rank())
      fail("dims has {} entries for operand rank {}", dims.size(), in[0].rank());
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] < 0 || dims[i] >= static_cast<int64_t>(shape.size()))
        fail("dims[{}] = {} out of range for result rank {}", i, dims[i], shape.size());
      if (i > 0 && dims[i] <= dims[i - 1])
        fail("dims must be strictly increasing: {}", shapeStr(dims));
      int64_t d = in[0].shape[i];
      if (d != shape[dims[i]] && d != 1)
        fail("operand dim {} (size {}) cannot broadcast to size {}", i, d, shape[dims[i]]);
    }
    return {in[0].dtype, shape};
  }
  case OpKind::Slice: {
    auto [start, limit, stride] = sliceAttrs(attrs);
    size_t r = in[0].shape.size();
    if (start.size() != r || limit.size() != r || stride.size() != r)
      fail("start, limit and stride need {} entries", r);
    Shape out;
    for (size_t i = 0; i < r; ++i) {
      if (start[i] < 0 || start[i] > limit[i] || limit[i] > in[0].shape[i] || stride[i] < 1)
        fail("slice [{}:{}:{}] out of range for dim {} of size {}", start[i], limit[i], stride[i],
             i, in[0].shape[i]);
      int64_t span = limit[i] - start[i]; // 0 <= start <= limit <= dim: no overflow
      out.push_back(span / stride[i] + (span % stride[i] != 0));
    }
    return {in[0].dtype, out};
  }
  case OpKind::Concat: {
    int64_t axis = attrs.getInt("axis");
    if (axis < 0 || axis >= in[0].rank())
      fail("axis {} out of range for rank {}", axis, in[0].rank());
    Type out = in[0];
    for (size_t i = 1; i < in.size(); ++i) {
      bool same = in[i].dtype == in[0].dtype && in[i].rank() == in[0].rank();
      for (int64_t d = 0; same && d < in[0].rank(); ++d)
        same = d == axis || in[i].shape[d] == in[0].shape[d];
      if (!same)
        fail("operand {} ({}) does not match {} outside axis {}", i, in[i].str(), in[0].str(),
             axis);
      out.shape[axis] = checkedAdd(out.shape[axis], in[i].shape[axis], "the concatenated size");
    }
    return out;
  }
  case OpKind::Pad: {
    auto [low, high, value] = padAttrs(attrs);
    if (static_cast<int64_t>(low.size()) != in[0].rank() || high.size() != low.size())
      fail("low and high need {} entries", in[0].rank());
    Shape out = in[0].shape;
    for (size_t i = 0; i < out.size(); ++i) {
      if (low[i] < 0 || high[i] < 0)
        fail("negative padding on dim {}", i);
      out[i] = checkedAdd(out[i], checkedAdd(low[i], high[i], "the padding"), "the padded size");
    }
    checkShape(out, "padded shape");
    return {in[0].dtype, out};
  }
  case OpKind::OneHot: {
    if (in[0].dtype != DType::I32)
      fail("indices must be i32, got {}", in[0].str());
    int64_t depth = attrs.getInt("depth");
    if (depth < 1)
      fail("depth must be >= 1, got {}", depth);
    Shape out = in[0].shape;
    out.push_back(depth);
    checkShape(out, "one_hot shape");
    return {dtypeAttr(attrs), out};
  }
  case OpKind::AllReduce:
    // A mean of integers would round differently on every machine count.
    if (in[0].dtype == DType::Bool ||
        (attrs.getString("reduction") == "mean" && !isFloat(in[0].dtype)))
      fail("all_reduce {} takes {}, got {}", attrs.getString("reduction"),
           attrs.getString("reduction") == "mean" ? "f32 or f64" : "f32, f64 or i32",
           in[0].str());
    return in[0];
  }
  assert(false && "unknown op");
  return {};
}

} // namespace

Type inferType(OpKind op, const std::vector<Type> &in, const Attrs &attrs) {
  Type result = applyRule(op, in, attrs);
  checkShape(result.shape, "the result");
  return result;
}

bool onlyUnitDims(const Shape &from, const Shape &to) {
  Shape a, b;
  std::copy_if(from.begin(), from.end(), std::back_inserter(a), [](int64_t d) { return d != 1; });
  std::copy_if(to.begin(), to.end(), std::back_inserter(b), [](int64_t d) { return d != 1; });
  return a == b;
}

} // namespace kiln
