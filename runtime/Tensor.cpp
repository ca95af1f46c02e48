#include "kiln/runtime/Tensor.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace kiln {

namespace {
constexpr uintptr_t kAlignment = 64;

std::shared_ptr<std::byte[]> allocate(size_t bytes, bool zero = true) {
  // Round up so vector loads past the last element stay inside the allocation.
  size_t padded = (bytes + 63) / 64 * 64 + 64;
  // malloc and align by hand rather than aligned operator new: glibc does not reuse a
  // freed large aligned block for the next aligned request of the same size, so every
  // large tensor touched fresh pages (page faults cost about 0.8 ms per MB here).
  void *block = std::malloc(padded + kAlignment);
  if (!block)
    throw std::bad_alloc();
  auto *p = reinterpret_cast<std::byte *>((reinterpret_cast<uintptr_t>(block) + kAlignment) &
                                          ~(kAlignment - 1));
  std::memset(p + (zero ? 0 : bytes), 0, zero ? padded : padded - bytes);
  return std::shared_ptr<std::byte[]>(p, [block](std::byte *) { std::free(block); });
}
} // namespace

Tensor::Tensor(Type type) : type_(std::move(type)), data_(allocate(byteSize())) {}

Tensor::Tensor(Type type, NoFill)
    : type_(std::move(type)), data_(allocate(byteSize(), /*zero=*/false)) {}

Tensor Tensor::uninitialized(Type type) { return Tensor(std::move(type), NoFill{}); }

double Tensor::at(int64_t i) const {
  switch (type_.dtype) {
  case DType::F32:
    return reinterpret_cast<const float *>(data_.get())[i];
  case DType::F64:
    return reinterpret_cast<const double *>(data_.get())[i];
  case DType::I32:
    return reinterpret_cast<const int32_t *>(data_.get())[i];
  case DType::Bool:
    return reinterpret_cast<const uint8_t *>(data_.get())[i];
  }
  return 0;
}

void Tensor::set(int64_t i, double value) {
  switch (type_.dtype) {
  case DType::F32:
    reinterpret_cast<float *>(data_.get())[i] = static_cast<float>(value);
    return;
  case DType::F64:
    reinterpret_cast<double *>(data_.get())[i] = value;
    return;
  case DType::I32:
    reinterpret_cast<int32_t *>(data_.get())[i] = static_cast<int32_t>(value);
    return;
  case DType::Bool:
    reinterpret_cast<uint8_t *>(data_.get())[i] = value != 0;
    return;
  }
}

Tensor Tensor::clone() const {
  Tensor t(type_);
  if (byteSize())
    std::memcpy(t.raw(), raw(), byteSize());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  assert(kiln::numElements(shape) == numElements() && "Tensor::reshaped: element count differs");
  Tensor t = *this;
  t.type_.shape = std::move(shape);
  return t;
}

Tensor Tensor::converted(DType dtype) const {
  Tensor t(Type{dtype, type_.shape});
  for (int64_t i = 0; i < numElements(); ++i)
    t.set(i, at(i));
  return t;
}

Tensor Tensor::full(Type type, double value) {
  Tensor t(std::move(type));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, value);
  return t;
}

} // namespace kiln
