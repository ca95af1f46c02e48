// OpKind and the constexpr info table generated from Ops.def, with the questions passes
// and codegen ask of an op's kind of work (category, cost) answered from the table.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln {

enum class OpKind : uint8_t {
#define OP(Enum, Mnemonic, Arity, Category, Cost, AttrSet, Differentiable) Enum,
#include "kiln/ir/Ops.def"
};

enum class OpCategory : uint8_t {
  Source,
  Elementwise,
  Reduction,
  Contraction,
  Window,
  Layout,
  Collective,
};

/// What one result element costs (see Ops.def): the recompute-or-store decisions of
/// fusion and codegen read it.
enum class OpCost : uint8_t { Free, Cheap, Costly, Heavy };

/// The attribute sets of Ops.def; ir/AttrSchema.cpp describes each one.
enum class AttrSet : uint8_t {
  None,
  State,
  Constant,
  Iota,
  RandomUniform,
  Convert,
  Compare,
  Reduce,
  Axis,
  Matmul,
  Conv,
  ConvInputGrad,
  ConvFilterGrad,
  Window,
  WindowInputGrad,
  Reshape,
  Transpose,
  Broadcast,
  Slice,
  Pad,
  OneHot,
  AllReduce,
};

struct OpInfo {
  OpKind kind;
  std::string_view mnemonic;
  int arity; ///< -1: variadic
  OpCategory category;
  OpCost cost;
  AttrSet attrs;
  bool differentiable;
};

inline constexpr std::array kOpInfos = {
#define OP(Enum, Mnemonic, Arity, Category, Cost, Attrs, Differentiable)                           \
  OpInfo{OpKind::Enum, Mnemonic,       Arity,         OpCategory::Category,                        \
         OpCost::Cost, AttrSet::Attrs, Differentiable},
#include "kiln/ir/Ops.def"
};

inline constexpr size_t kNumOps = kOpInfos.size();

constexpr const OpInfo &opInfo(OpKind kind) { return kOpInfos[static_cast<size_t>(kind)]; }
constexpr std::string_view mnemonic(OpKind kind) { return opInfo(kind).mnemonic; }
std::optional<OpKind> opFromMnemonic(std::string_view mnemonic);
std::string_view categoryName(OpCategory category);

/// Input and state: values the caller passes in, not computed by the graph.
constexpr bool isArgument(OpKind kind) { return kind == OpKind::Input || kind == OpKind::State; }

/// Contractions and windows: the ops with a kernel of their own (libjit) that elementwise
/// work can follow as an epilogue, but never precede inside one kernel.
constexpr bool isAnchor(OpKind kind) {
  OpCategory c = opInfo(kind).category;
  return c == OpCategory::Contraction || c == OpCategory::Window;
}

} // namespace kiln
