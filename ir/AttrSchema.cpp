// The attribute sets of Ops.def and the check of a node's dictionary against its set.
// Every attribute a frontend, pass or gradient rule sets is listed here; the shape
// rules check values (ranges, lengths that depend on the operands), this file names
// and types.
#include "kiln/ir/AttrSchema.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/Type.h"

#include <cmath>

namespace kiln {

namespace {

using T = AttrType;
constexpr bool kRequired = true, kOptional = false;

constexpr std::string_view kInitRules[] = {"zeros", "ones", "constant", "uniform", "normal"};
constexpr AttrSpec kState[] = {
    {"bound", T::Float, kOptional, "none (init = \"uniform\" needs it)"},
    {"init", T::Enum, kOptional, "\"zeros\"", kInitRules},
    {"std", T::Float, kOptional, "none (init = \"normal\" needs it)"},
    {"trainable", T::Bool, kOptional, "false"},
    {"value", T::Float, kOptional, "none (init = \"constant\" needs it)"},
};
// A constant has either `value` (a splat) or `data`; the shape rule checks which.
constexpr AttrSpec kConstant[] = {
    {"data", T::Floats, kOptional, "none: a splat of `value`"},
    {"dtype", T::DType, kRequired},
    {"shape", T::Shape, kRequired},
    {"value", T::Float, kOptional, "none: `data` holds every element"},
};
constexpr AttrSpec kIota[] = {
    {"axis", T::Int, kRequired},
    {"dtype", T::DType, kRequired},
    {"shape", T::Shape, kRequired},
};
// `offset`: the stream index of the first element. A data-parallel rank draws its part
// of the global batch's stream (passes/DataParallel.h), so masks do not depend on how
// the batch is split.
constexpr AttrSpec kRandomUniform[] = {
    {"offset", T::Int, kOptional, "0"},
    {"seed", T::Int, kRequired},
    {"shape", T::Shape, kRequired},
};
constexpr AttrSpec kConvert[] = {{"dtype", T::DType, kRequired}};
constexpr std::string_view kDirections[] = {"eq", "ne", "lt", "le", "gt", "ge"};
constexpr AttrSpec kCompare[] = {{"direction", T::Enum, kRequired, {}, kDirections}};
constexpr AttrSpec kReduce[] = {{"axes", T::Ints, kRequired}};
constexpr AttrSpec kAxis[] = {{"axis", T::Int, kRequired}};
constexpr AttrSpec kMatmul[] = {
    {"transpose_a", T::Bool, kOptional, "false"},
    {"transpose_b", T::Bool, kOptional, "false"},
};

// Convolutions: conv2d's attributes, plus the size its gradient ops cannot infer.
#define KILN_CONV_ATTRS                                                                            \
  {"dilation", T::Pair, kOptional, "[1,1]"}, {"groups", T::Int, kOptional, "1"},                   \
      {"padding", T::Pair, kOptional, "[0,0]"}, {                                                  \
    "stride", T::Pair, kOptional, "[1,1]"                                                          \
  }
constexpr AttrSpec kConv[] = {KILN_CONV_ATTRS};
constexpr AttrSpec kConvInputGrad[] = {KILN_CONV_ATTRS, {"input_size", T::Pair, kRequired}};
constexpr AttrSpec kConvFilterGrad[] = {KILN_CONV_ATTRS, {"kernel", T::Pair, kRequired}};
#undef KILN_CONV_ATTRS

// Pooling: the window, plus the input size avg_pool2d_grad cannot infer.
#define KILN_WINDOW_ATTRS                                                                          \
  {"padding", T::Pair, kOptional, "[0,0]"}, {"stride", T::Pair, kOptional, "the window"}, {        \
    "window", T::Pair, kRequired                                                                   \
  }
constexpr AttrSpec kWindow[] = {KILN_WINDOW_ATTRS};
constexpr AttrSpec kWindowInputGrad[] = {KILN_WINDOW_ATTRS, {"input_size", T::Pair, kRequired}};
#undef KILN_WINDOW_ATTRS

constexpr AttrSpec kReshape[] = {{"shape", T::Shape, kRequired}};
constexpr AttrSpec kTranspose[] = {{"perm", T::Ints, kRequired}};
constexpr AttrSpec kBroadcast[] = {
    {"dims", T::Ints, kRequired},
    {"shape", T::Shape, kRequired},
};
constexpr AttrSpec kSlice[] = {
    {"limit", T::Ints, kRequired},
    {"start", T::Ints, kRequired},
    {"stride", T::Ints, kOptional, "ones"},
};
constexpr AttrSpec kPad[] = {
    {"high", T::Ints, kRequired},
    {"low", T::Ints, kRequired},
    {"value", T::Float, kOptional, "0.0"},
};
constexpr AttrSpec kOneHot[] = {
    {"depth", T::Int, kRequired},
    {"dtype", T::DType, kRequired},
};
constexpr std::string_view kReductions[] = {"sum", "mean"};
constexpr AttrSpec kAllReduce[] = {{"reduction", T::Enum, kRequired, {}, kReductions}};

const char *kindName(const AttrValue &v) {
  constexpr const char *names[] = {"bool", "int", "float", "int list", "float list", "string"};
  return names[v.index()];
}

/// Whether `value` has `spec`'s type; `why` says what is wrong when it does not.
bool typeOk(const AttrSpec &spec, const AttrValue &value, std::string &why) {
  const auto *ints = std::get_if<std::vector<int64_t>>(&value);
  const auto *str = std::get_if<std::string>(&value);
  switch (spec.type) {
  case T::Bool:
    return std::holds_alternative<bool>(value);
  case T::Int:
    return std::holds_alternative<int64_t>(value);
  case T::Float:
    return std::holds_alternative<double>(value) || std::holds_alternative<int64_t>(value);
  case T::Ints:
  case T::Shape:
    return ints != nullptr;
  case T::Floats:
    return ints || std::holds_alternative<std::vector<double>>(value);
  case T::String:
    return str != nullptr;
  case T::Enum:
    for (std::string_view c : spec.choices)
      if (str && *str == c)
        return true;
    if (str)
      why = fmt::format("'{}'", *str);
    return false;
  case T::DType:
    if (str && parseDType(*str))
      return true;
    if (str)
      why = fmt::format("'{}'", *str);
    return false;
  case T::Pair:
    if (ints && ints->size() == 2)
      return true;
    if (ints)
      why = fmt::format("{} ints", ints->size());
    return false;
  }
  return false;
}

} // namespace

AttrSchema attrSchema(AttrSet set) {
  switch (set) {
  case AttrSet::None:
    return {};
  case AttrSet::State:
    return {kState};
  case AttrSet::Constant:
    return {kConstant};
  case AttrSet::Iota:
    return {kIota};
  case AttrSet::RandomUniform:
    return {kRandomUniform};
  case AttrSet::Convert:
    return {kConvert};
  case AttrSet::Compare:
    return {kCompare};
  case AttrSet::Reduce:
    return {kReduce};
  case AttrSet::Axis:
    return {kAxis};
  case AttrSet::Matmul:
    return {kMatmul};
  case AttrSet::Conv:
    return {kConv};
  case AttrSet::ConvInputGrad:
    return {kConvInputGrad};
  case AttrSet::ConvFilterGrad:
    return {kConvFilterGrad};
  case AttrSet::Window:
    return {kWindow};
  case AttrSet::WindowInputGrad:
    return {kWindowInputGrad};
  case AttrSet::Reshape:
    return {kReshape};
  case AttrSet::Transpose:
    return {kTranspose};
  case AttrSet::Broadcast:
    return {kBroadcast};
  case AttrSet::Slice:
    return {kSlice};
  case AttrSet::Pad:
    return {kPad};
  case AttrSet::OneHot:
    return {kOneHot};
  case AttrSet::AllReduce:
    return {kAllReduce};
  }
  return {};
}

const AttrSpec *findAttrSpec(OpKind op, std::string_view key) {
  for (const AttrSpec &spec : attrSchema(op).specs)
    if (spec.name == key)
      return &spec;
  return nullptr;
}

std::string_view attrTypeName(AttrType type) {
  switch (type) {
  case T::Bool:
    return "a bool";
  case T::Int:
    return "an int";
  case T::Float:
    return "a float";
  case T::Ints:
  case T::Shape:
    return "an int list";
  case T::Floats:
    return "a float list";
  case T::String:
    return "a string";
  case T::Enum:
    return "one of";
  case T::DType:
    return "a dtype (f32, f64, i32, bool)";
  case T::Pair:
    return "a list of 2 ints";
  }
  return "?";
}

bool isMetadataKey(std::string_view key) { return key.find('.') != std::string_view::npos; }

namespace {

/// A state's initializer names the attribute its rule needs, with a value in range:
/// a negative std or bound would draw from no distribution (or a mirrored one).
void checkStateInit(const Attrs &attrs) {
  std::string rule = attrs.getString("init", "zeros");
  auto need = [&](const char *key, bool nonNegative) {
    if (!attrs.has(key))
      throw AttrError(fmt::format("init = \"{}\" needs attribute '{}'", rule, key), key,
                      AttrError::Fault::Missing);
    double value = attrs.getFloat(key);
    if (!std::isfinite(value) || (nonNegative && value < 0))
      throw AttrError(fmt::format("attribute '{}' of init = \"{}\" must be finite{}, got {}", key,
                                  rule, nonNegative ? " and >= 0" : "", value),
                      key, AttrError::Fault::Value);
  };
  if (rule == "uniform")
    need("bound", /*nonNegative=*/true);
  else if (rule == "normal")
    need("std", /*nonNegative=*/true);
  else if (rule == "constant")
    need("value", /*nonNegative=*/false);
}

} // namespace

void checkAttrs(OpKind op, const Attrs &attrs) {
  AttrSchema schema = attrSchema(op);
  for (const auto &[key, value] : attrs) {
    const AttrSpec *spec = findAttrSpec(op, key);
    if (!spec) {
      if (isMetadataKey(key))
        continue;
      std::string takes;
      for (const AttrSpec &s : schema.specs)
        takes += (takes.empty() ? "" : ", ") + std::string(s.name);
      throw AttrError(fmt::format("unknown attribute '{}' ({} takes {})", key, mnemonic(op),
                                  takes.empty() ? "no attributes" : takes),
                      key, AttrError::Fault::Unknown);
    }
    std::string why;
    if (typeOk(*spec, value, why))
      continue;
    std::string want(attrTypeName(spec->type));
    if (spec->type == T::Enum)
      for (size_t i = 0; i < spec->choices.size(); ++i)
        want += (i ? ", " : " ") + std::string(spec->choices[i]);
    throw AttrError(fmt::format("attribute '{}' must be {}, got {}", key, want,
                                why.empty() ? kindName(value) : why),
                    key, AttrError::Fault::Value);
  }
  for (const AttrSpec &spec : schema.specs)
    if (spec.required && !attrs.has(spec.name))
      throw AttrError(fmt::format("missing attribute '{}'", spec.name), std::string(spec.name),
                      AttrError::Fault::Missing);
  if (op == OpKind::State)
    checkStateInit(attrs);
}

} // namespace kiln
