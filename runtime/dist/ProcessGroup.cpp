#include "kiln/runtime/dist/ProcessGroup.h"

#include "kiln/ir/Error.h"

#include <mpi.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace kiln {

namespace {

MPI_Datatype mpiType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return MPI_FLOAT;
  case DType::F64:
    return MPI_DOUBLE;
  case DType::I32:
    return MPI_INT32_T;
  case DType::Bool:
    break;
  }
  fail("all_reduce: no MPI type for {}", dtypeName(dtype));
}

/// MPI counts are int: larger buffers go in pieces of at most INT_MAX elements.
template <typename F> void inPieces(int64_t count, F &&piece) {
  for (int64_t first = 0; first < count; first += INT_MAX)
    piece(first, static_cast<int>(std::min<int64_t>(INT_MAX, count - first)));
}

class MpiWorld : public Communicator {
public:
  MpiWorld() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  // MPI_COMM_WORLD keeps MPI_ERRORS_ARE_FATAL: a rank that fails or disappears in a
  // collective ends the whole job (mpirun then stops every rank) instead of hanging it.
  void allReduceSum(void *data, int64_t count, DType dtype) override {
    MPI_Datatype type = mpiType(dtype);
    auto *bytes = static_cast<char *>(data);
    inPieces(count, [&](int64_t first, int n) {
      MPI_Allreduce(MPI_IN_PLACE, bytes + first * int64_t(dtypeSize(dtype)), n, type, MPI_SUM,
                    MPI_COMM_WORLD);
    });
  }

  void broadcast(void *data, size_t bytes, int root) override {
    auto *p = static_cast<char *>(data);
    inPieces(static_cast<int64_t>(bytes), [&](int64_t first, int n) {
      MPI_Bcast(p + first, n, MPI_BYTE, root, MPI_COMM_WORLD);
    });
  }

  std::vector<uint64_t> allGather(uint64_t value) override {
    std::vector<uint64_t> all(static_cast<size_t>(size_));
    MPI_Allgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
    return all;
  }

private:
  int rank_ = 0, size_ = 1;
};

void finalizeAtExit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized)
    MPI_Finalize();
}

} // namespace

bool startedByMpirun() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (const char *v = std::getenv(name); v && *v)
      return true;
  return false;
}

int joinProcessGroup() {
  if (!startedByMpirun())
    return 1;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // The compiled step calls all_reduce from whichever thread runs that kernel, never
    // from two at once.
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
      fail("mpirun started kiln, but MPI did not initialize");
    if (provided < MPI_THREAD_SERIALIZED)
      fail("this MPI library gives thread level {}; kiln needs MPI_THREAD_SERIALIZED", provided);
    std::atexit(finalizeAtExit);
    setCommunicator(std::make_unique<MpiWorld>());
  }
  return communicator().size();
}

void abortProcessGroup(int code) {
  std::fflush(stderr);
  std::fflush(stdout);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized)
    MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

void requireSameOnEveryRank(uint64_t value, const std::string &what) {
  std::vector<uint64_t> all = communicator().allGather(value);
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw GroupError(fmt::format("{} differs between ranks: rank 0 has {:016x}, rank {} has "
                                   "{:016x}",
                                   what, all[0], r, all[r]));
}

} // namespace kiln
