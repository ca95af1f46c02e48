// The attribute schema of every op: which attributes it takes, their types, which are
// required and what an optional one defaults to. checkAttrs enforces it wherever a node
// is made or re-checked (Graph::add and so the parser, the verifier, the interpreter),
// so an attribute no op reads (`transpose_bb`) is an error instead of silently meaning
// the default. The typed accessors that apply the defaults are in OpAttrs.h.
#pragma once

#include "kiln/ir/Attrs.h"
#include "kiln/ir/Op.h"

#include <span>
#include <string_view>

namespace kiln {

enum class AttrType : uint8_t {
  Bool,
  Int,
  Float, ///< an int is accepted
  Ints,
  Floats, ///< an int list is accepted (`[]` and `[1, 2]` parse as int lists)
  String,
  Enum,  ///< a string from the spec's `choices`
  DType, ///< a string naming a dtype: "f32", "f64", "i32", "bool"
  Shape, ///< an int list; the shape rule checks the dimensions
  Pair,  ///< two ints: (height, width) of a spatial attribute
};

struct AttrSpec {
  std::string_view name;
  AttrType type;
  bool required;
  /// An optional attribute's default, as the accessor in OpAttrs.h applies it, for
  /// messages and documentation ("[1,1]", "the window", "ones").
  std::string_view fallback = {};
  std::span<const std::string_view> choices = {}; ///< Enum: the allowed values
};

struct AttrSchema {
  std::span<const AttrSpec> specs;
  /// Keys outside `specs` are allowed. Only state is open: its dictionary carries the
  /// initializer (typed by `specs`) and whatever else a user keeps with a parameter;
  /// the runtime reads only the initializer.
  bool open = false;
};

/// The schema of one attribute set (exhaustive over AttrSet).
AttrSchema attrSchema(AttrSet set);
inline AttrSchema attrSchema(OpKind op) { return attrSchema(opInfo(op).attrs); }

/// The spec of `key` for `op`, or nullptr if the op does not take it.
const AttrSpec *findAttrSpec(OpKind op, std::string_view key);

/// "a bool", "an int list", ...: what a value of `type` is, for messages.
std::string_view attrTypeName(AttrType type);

/// Throws kiln::Error for the first attribute `op` does not take ("unknown attribute
/// 'transpose_bb' (matmul takes transpose_a, transpose_b)"), the first required one
/// missing ("missing attribute 'axes'") or the first of the wrong type ("attribute
/// 'stride' must be a list of 2 ints, got float"). Value ranges are the shape rule's.
void checkAttrs(OpKind op, const Attrs &attrs);

} // namespace kiln
