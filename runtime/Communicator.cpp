#include "kiln/runtime/Communicator.h"

#include "kiln/ir/Error.h"

#include <cstring>
#include <span>

namespace kiln {

namespace {

class SingleProcess : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allReduceSum(void *, int64_t, DType) override {}
  void broadcast(void *, size_t, int) override {}
  std::vector<uint64_t> allGather(uint64_t value) override { return {value}; }
};

std::unique_ptr<Communicator> &current() {
  static std::unique_ptr<Communicator> group = std::make_unique<SingleProcess>();
  return group;
}

template <typename T> void scale(void *data, int64_t count, T factor) {
  for (T &x : std::span(static_cast<T *>(data), static_cast<size_t>(count)))
    x *= factor;
}

} // namespace

Communicator &communicator() { return *current(); }

std::unique_ptr<Communicator> setCommunicator(std::unique_ptr<Communicator> group) {
  std::unique_ptr<Communicator> previous = std::move(current());
  current() = group ? std::move(group) : std::make_unique<SingleProcess>();
  return previous;
}

void divideByRanks(void *data, int64_t count, DType dtype) {
  const int ranks = communicator().size();
  if (ranks == 1)
    return;
  switch (dtype) {
  case DType::F32:
    return scale(data, count, 1.0f / static_cast<float>(ranks));
  case DType::F64:
    return scale(data, count, 1.0 / static_cast<double>(ranks));
  case DType::I32:
  case DType::Bool:
    break;
  }
  fail("all_reduce: the mean of {} values", dtypeName(dtype));
}

void allReduce(const void *in, void *out, int64_t count, DType dtype, bool mean) {
  if (in != out)
    std::memcpy(out, in, static_cast<size_t>(count) * dtypeSize(dtype));
  communicator().allReduceSum(out, count, dtype);
  if (mean)
    divideByRanks(out, count, dtype);
}

} // namespace kiln
