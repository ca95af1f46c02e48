// Element types, static shapes and the (dtype, shape) pair every IR value carries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

enum class DType : uint8_t { F32, F64, I32, Bool };

/// The mnemonic used in the textual IR: "f32", "f64", "i32", "bool".
std::string_view dtypeName(DType dtype);
std::optional<DType> parseDType(std::string_view name);
/// Bytes per element as stored in a Tensor (bool is one byte).
size_t dtypeSize(DType dtype);
bool isFloat(DType dtype);

using Shape = std::vector<int64_t>;

/// Product of the dimensions; 1 for a scalar.
int64_t numElements(const Shape &shape);
/// "[64,784]"; "[]" for a scalar.
std::string shapeStr(const Shape &shape);

/// The type of an IR value: element type and static shape.
struct Type {
  DType dtype = DType::F32;
  Shape shape;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numElements() const { return kiln::numElements(shape); }
  /// "f32[64,784]"; "f32[]" for a scalar.
  std::string str() const;
  bool operator==(const Type &) const = default;
};

} // namespace kiln
