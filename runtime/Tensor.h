// Tensor: a dense, 64-byte-aligned, row-major buffer with a Type. Copies share storage
// (cheap to pass around); clone() makes an independent copy.
#pragma once

#include "kiln/ir/Type.h"

#include <cassert>
#include <cstddef>
#include <memory>
#include <span>

namespace kiln {

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor of `type`.
  explicit Tensor(Type type);

  const Type &type() const { return type_; }
  DType dtype() const { return type_.dtype; }
  const Shape &shape() const { return type_.shape; }
  int64_t numElements() const { return type_.numElements(); }
  size_t byteSize() const { return static_cast<size_t>(numElements()) * dtypeSize(type_.dtype); }
  bool defined() const { return data_ != nullptr || numElements() == 0; }

  std::byte *raw() { return data_.get(); }
  const std::byte *raw() const { return data_.get(); }

  /// Typed views; T must match the dtype (float for f32, double for f64, int32_t for i32,
  /// uint8_t for bool).
  template <typename T> std::span<T> data() {
    assert(matches<T>() && "Tensor::data: element type does not match dtype");
    return {reinterpret_cast<T *>(data_.get()), static_cast<size_t>(numElements())};
  }
  template <typename T> std::span<const T> data() const {
    assert(matches<T>() && "Tensor::data: element type does not match dtype");
    return {reinterpret_cast<const T *>(data_.get()), static_cast<size_t>(numElements())};
  }

  /// Element i converted to double, whatever the dtype.
  double at(int64_t i) const;
  /// Sets element i from a double, converting to the dtype.
  void set(int64_t i, double value);

  Tensor clone() const;
  /// Same storage, another shape with the same element count.
  Tensor reshaped(Shape shape) const;
  /// A copy converted to `dtype`.
  Tensor converted(DType dtype) const;

  /// A scalar or filled tensor.
  static Tensor full(Type type, double value);
  /// A tensor whose elements are left unset, for kernels that write every element
  /// (skips the zero-fill, which costs as much as a simple elementwise kernel).
  static Tensor uninitialized(Type type);

private:
  struct NoFill {};
  Tensor(Type type, NoFill);
  template <typename T> bool matches() const;

  Type type_;
  std::shared_ptr<std::byte[]> data_;
};

template <typename T> bool Tensor::matches() const {
  using U = std::remove_const_t<T>;
  switch (type_.dtype) {
  case DType::F32:
    return std::is_same_v<U, float>;
  case DType::F64:
    return std::is_same_v<U, double>;
  case DType::I32:
    return std::is_same_v<U, int32_t>;
  case DType::Bool:
    return std::is_same_v<U, uint8_t>;
  }
  return false;
}

} // namespace kiln
