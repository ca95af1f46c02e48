// OpKind and the constexpr info table generated from Ops.def.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace kiln {

enum class OpKind : uint8_t {
#define OP(Enum, Mnemonic, Arity, Category, Differentiable) Enum,
#include "kiln/ir/Ops.def"
};

enum class OpCategory : uint8_t { Source, Elementwise, Reduction, Contraction, Window, Layout };

struct OpInfo {
  OpKind kind;
  std::string_view mnemonic;
  int arity; ///< -1: variadic
  OpCategory category;
  bool differentiable;
};

inline constexpr std::array kOpInfos = {
#define OP(Enum, Mnemonic, Arity, Category, Differentiable)                                      \
  OpInfo{OpKind::Enum, Mnemonic, Arity, OpCategory::Category, Differentiable},
#include "kiln/ir/Ops.def"
};

inline constexpr size_t kNumOps = kOpInfos.size();

constexpr const OpInfo &opInfo(OpKind kind) { return kOpInfos[static_cast<size_t>(kind)]; }
constexpr std::string_view mnemonic(OpKind kind) { return opInfo(kind).mnemonic; }
std::optional<OpKind> opFromMnemonic(std::string_view mnemonic);
std::string_view categoryName(OpCategory category);

} // namespace kiln
