// One enum per op category, generated from Ops.def, so that a switch over one
// category's ops is exhaustive (-Werror=switch) without listing every other op: a new
// elementwise op needs no case in code that only handles layout ops, while a new
// layout op is still reported there by the compiler. `xxxOp(kind)` converts an OpKind
// (std::nullopt when the op is of another category).
#pragma once

#include "kiln/ir/Op.h"

namespace kiln {

enum class SourceOp : uint8_t {
#define SOURCE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable) Enum,
#include "kiln/ir/Ops.def"
};

constexpr std::optional<SourceOp> sourceOp(OpKind kind) {
  switch (kind) {
#define SOURCE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable)                               \
  case OpKind::Enum:                                                                               \
    return SourceOp::Enum;
#include "kiln/ir/Ops.def"
  default: // every op of another category
    return std::nullopt;
  }
}

enum class ElementwiseOp : uint8_t {
#define ELEMENTWISE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable, Types, Domain) Enum,
#include "kiln/ir/Ops.def"
};

constexpr std::optional<ElementwiseOp> elementwiseOp(OpKind kind) {
  switch (kind) {
#define ELEMENTWISE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable, Types, Domain)           \
  case OpKind::Enum:                                                                               \
    return ElementwiseOp::Enum;
#include "kiln/ir/Ops.def"
  default: // every op of another category
    return std::nullopt;
  }
}

/// Ops.def's Types column: the operand types an elementwise op takes.
enum class OperandTypes : uint8_t { Numeric, Float, Own };
/// Ops.def's Domain column: where an elementwise op is defined and smooth.
enum class OperandDomain : uint8_t { Real, Positive, AwayFromZero, Own };

/// An elementwise op's two columns of its own in Ops.def.
struct ElementwiseColumns {
  OperandTypes types;
  OperandDomain domain;
};

constexpr ElementwiseColumns elementwiseColumns(ElementwiseOp op) {
  switch (op) {
#define ELEMENTWISE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable, Types, Domain)           \
  case ElementwiseOp::Enum:                                                                        \
    return {OperandTypes::Types, OperandDomain::Domain};
#include "kiln/ir/Ops.def"
  }
  return {OperandTypes::Own, OperandDomain::Own};
}

constexpr OperandTypes operandTypes(ElementwiseOp op) { return elementwiseColumns(op).types; }
constexpr OperandDomain operandDomain(ElementwiseOp op) { return elementwiseColumns(op).domain; }

// A switch over OpKind hands the whole category to one function, which switches over
// ElementwiseOp with a default for the plain ops, by listing every elementwise op:
//   #define ELEMENTWISE(Enum, ...) case OpKind::Enum:
//   #include "kiln/ir/Ops.def"
//     return elementwiseRule(...);

enum class ReductionOp : uint8_t {
#define REDUCTION(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable) Enum,
#include "kiln/ir/Ops.def"
};

constexpr std::optional<ReductionOp> reductionOp(OpKind kind) {
  switch (kind) {
#define REDUCTION(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable)                            \
  case OpKind::Enum:                                                                               \
    return ReductionOp::Enum;
#include "kiln/ir/Ops.def"
  default: // every op of another category
    return std::nullopt;
  }
}

enum class ContractionOp : uint8_t {
#define CONTRACTION(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable) Enum,
#include "kiln/ir/Ops.def"
};

constexpr std::optional<ContractionOp> contractionOp(OpKind kind) {
  switch (kind) {
#define CONTRACTION(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable)                          \
  case OpKind::Enum:                                                                               \
    return ContractionOp::Enum;
#include "kiln/ir/Ops.def"
  default: // every op of another category
    return std::nullopt;
  }
}

enum class WindowOp : uint8_t {
#define WINDOW(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable) Enum,
#include "kiln/ir/Ops.def"
};

constexpr std::optional<WindowOp> windowOp(OpKind kind) {
  switch (kind) {
#define WINDOW(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable)                               \
  case OpKind::Enum:                                                                               \
    return WindowOp::Enum;
#include "kiln/ir/Ops.def"
  default: // every op of another category
    return std::nullopt;
  }
}

enum class LayoutOp : uint8_t {
#define LAYOUT(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable) Enum,
#include "kiln/ir/Ops.def"
};

constexpr std::optional<LayoutOp> layoutOp(OpKind kind) {
  switch (kind) {
#define LAYOUT(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable)                               \
  case OpKind::Enum:                                                                               \
    return LayoutOp::Enum;
#include "kiln/ir/Ops.def"
  default: // every op of another category
    return std::nullopt;
  }
}

enum class CollectiveOp : uint8_t {
#define COLLECTIVE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable) Enum,
#include "kiln/ir/Ops.def"
};

constexpr std::optional<CollectiveOp> collectiveOp(OpKind kind) {
  switch (kind) {
#define COLLECTIVE(Enum, Mnemonic, Arity, Cost, AttrSet, Differentiable)                           \
  case OpKind::Enum:                                                                               \
    return CollectiveOp::Enum;
#include "kiln/ir/Ops.def"
  default: // every op of another category
    return std::nullopt;
  }
}

} // namespace kiln
