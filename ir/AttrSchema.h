// The attribute schema of every op: which attributes it takes, their types, which are
// required and what an optional one defaults to. checkAttrs enforces it wherever a node
// is made or re-checked (Graph::add and so the parser, the verifier, the interpreter),
// so an attribute no op reads (`transpose_bb`) is an error instead of silently meaning
// the default. The typed accessors that apply the defaults are in OpAttrs.h.
#pragma once

#include "kiln/ir/Attrs.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Op.h"

#include <span>
#include <string>
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
};

/// A key with a '.' (`note.source = "conv.py"`) is metadata: any node may carry it, kiln
/// keeps and prints it and never reads it (MLIR's discardable attributes). Every other
/// key must be in the op's schema, so a misspelled one (`trainabel`) is an error rather
/// than an attribute nobody reads.
bool isMetadataKey(std::string_view key);

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
/// Throws AttrError.
void checkAttrs(OpKind op, const Attrs &attrs);

/// A schema violation or a value out of range, with the attribute it is about, so the
/// parser can point at the attribute's name (unknown) or value (mistyped, out of range)
/// rather than at the statement.
class AttrError : public Error {
public:
  enum class Fault : uint8_t { Unknown, Value, Missing };
  AttrError(const std::string &message, std::string attribute, Fault fault)
      : Error(message), attribute_(std::move(attribute)), fault_(fault) {}
  /// The same error with `context` before the message.
  AttrError within(std::string_view context) const {
    return AttrError(fmt::format("{}: {}", context, what()), attribute_, fault_);
  }
  const std::string &attribute() const { return attribute_; }
  Fault fault() const { return fault_; }

private:
  std::string attribute_;
  Fault fault_;
};

} // namespace kiln
