// The typed accessors: defaults and range checks of each attribute family, in one place.
#include "kiln/ir/OpAttrs.h"

#include "kiln/ir/AttrSchema.h"
#include "kiln/ir/CheckedMath.h"
#include "kiln/ir/Error.h"

#include <cassert>

namespace kiln {

namespace {

/// Throws AttrError about the value of attribute `key`.
template <typename... Args>
[[noreturn]] void badValue(const char *key, fmt::format_string<Args...> format, Args &&...args) {
  throw AttrError(fmt::format(format, std::forward<Args>(args)...), key,
                  AttrError::Fault::Value);
}

/// Each element of an int list attribute within [minimum, 2^40].
void checkRange(const char *key, const std::vector<int64_t> &values, int64_t minimum) {
  for (int64_t x : values) {
    if (x < minimum)
      badValue(key, "attribute '{}' must be >= {}, got {}", key, minimum, x);
    if (x > kMaxElements)
      badValue(key, "attribute '{}' must be <= 2^40, got {}", key, x);
  }
}

/// A spatial attribute, or `fallback` when absent; each element in [minimum, 2^40].
Pair pair(const Attrs &attrs, const char *key, Pair fallback, int64_t minimum) {
  Pair p = fallback;
  if (attrs.has(key)) {
    const std::vector<int64_t> &v = attrs.getInts(key);
    if (v.size() != 2)
      badValue(key, "attribute '{}' must have 2 elements, got {}", key, v.size());
    p = {v[0], v[1]};
  }
  checkRange(key, {p[0], p[1]}, minimum);
  return p;
}

} // namespace

MatmulAttrs matmulAttrs(const Attrs &attrs) {
  return {attrs.getBool("transpose_a", false), attrs.getBool("transpose_b", false)};
}

ConvAttrs convAttrs(const Attrs &attrs) {
  ConvAttrs c;
  c.stride = pair(attrs, "stride", c.stride, 1);
  c.padding = pair(attrs, "padding", c.padding, 0);
  c.dilation = pair(attrs, "dilation", c.dilation, 1);
  c.groups = attrs.getInt("groups", c.groups);
  checkRange("groups", {c.groups}, 1);
  if (attrs.has("input_size"))
    c.inputSize = pair(attrs, "input_size", {}, 1);
  if (attrs.has("kernel"))
    c.kernel = pair(attrs, "kernel", {}, 1);
  return c;
}

WindowAttrs windowAttrs(const Attrs &attrs) {
  WindowAttrs w;
  if (!attrs.has("window"))
    fail("missing attribute 'window'");
  w.window = pair(attrs, "window", {}, 1);
  w.stride = pair(attrs, "stride", w.window, 1);
  w.padding = pair(attrs, "padding", w.padding, 0);
  for (int i = 0; i < 2; ++i)
    if (w.padding[i] * 2 > w.window[i])
      badValue("padding", "padding {} exceeds half the window {}", w.padding[i], w.window[i]);
  if (attrs.has("input_size"))
    w.inputSize = pair(attrs, "input_size", {}, 1);
  return w;
}

SliceAttrs sliceAttrs(const Attrs &attrs) {
  SliceAttrs s{attrs.getInts("start"), attrs.getInts("limit"), {}};
  s.stride = attrs.getInts("stride", std::vector<int64_t>(s.start.size(), 1));
  checkRange("start", s.start, 0);
  checkRange("limit", s.limit, 0);
  checkRange("stride", s.stride, 1);
  return s;
}

PadAttrs padAttrs(const Attrs &attrs) {
  PadAttrs p{attrs.getInts("low"), attrs.getInts("high"), attrs.getFloat("value", 0.0)};
  checkRange("low", p.low, 0);
  checkRange("high", p.high, 0);
  return p;
}

std::vector<int64_t> reducedAxes(const Node &node) {
  assert(opInfo(node.op).category == OpCategory::Reduction && "not a reduction");
  if (node.op == OpKind::Argmax)
    return {node.attrs.getInt("axis")};
  return node.attrs.getInts("axes");
}

} // namespace kiln
