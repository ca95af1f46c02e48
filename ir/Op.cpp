#include "kiln/ir/Op.h"

#include <cassert>

namespace kiln {

std::optional<OpKind> opFromMnemonic(std::string_view name) {
  for (const OpInfo &info : kOpInfos)
    if (info.mnemonic == name)
      return info.kind;
  return std::nullopt;
}

std::string_view categoryName(OpCategory category) {
  switch (category) {
  case OpCategory::Source:
    return "source";
  case OpCategory::Elementwise:
    return "elementwise";
  case OpCategory::Reduction:
    return "reduction";
  case OpCategory::Contraction:
    return "contraction";
  case OpCategory::Window:
    return "window";
  case OpCategory::Layout:
    return "layout";
  case OpCategory::Collective:
    return "collective";
  }
  assert(false && "unknown category");
  return "?";
}

} // namespace kiln
