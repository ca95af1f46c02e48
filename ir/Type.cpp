#include "kiln/ir/Type.h"

#include <cassert>

namespace kiln {

std::string_view dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::Bool:
    return "bool";
  }
  assert(false && "unknown dtype");
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  for (DType d : {DType::F32, DType::F64, DType::I32, DType::Bool})
    if (dtypeName(d) == name)
      return d;
  return std::nullopt;
}

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
    return 8;
  case DType::Bool:
    return 1;
  }
  assert(false && "unknown dtype");
  return 0;
}

bool isFloat(DType dtype) { return dtype == DType::F32 || dtype == DType::F64; }

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeStr(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string Type::str() const { return std::string(dtypeName(dtype)) + shapeStr(shape); }

} // namespace kiln
