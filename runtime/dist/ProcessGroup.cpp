#include "kiln/runtime/dist/ProcessGroup.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/dist/CollectiveDeadline.h"

#include <mpi.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include <unistd.h>

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

int worldRank = 0; // for the watchdog's message

/// A collective passed its deadline: another rank stopped or cannot be reached. Ends
/// every rank it can (MPI_Abort through mpirun), and this one in any case.
void endJobAfterTimeout(const std::string &what, double seconds) {
  std::fprintf(stderr,
               "kiln: error: rank %d: %s waited %g s for the other ranks: one of them stopped or "
               "cannot be reached; ending the job\n",
               worldRank, what.c_str(), seconds);
  std::fflush(stderr);
  alarm(10); // if MPI_Abort cannot reach mpirun either, SIGALRM ends this process
  MPI_Abort(MPI_COMM_WORLD, 1);
}

class MpiWorld : public Communicator {
public:
  explicit MpiWorld(std::chrono::duration<double> timeout)
      : deadline_(timeout, endJobAfterTimeout) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    worldRank = rank_;
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  // MPI_COMM_WORLD keeps MPI_ERRORS_ARE_FATAL: a rank that fails or disappears in a
  // collective ends the whole job (mpirun then stops every rank) instead of hanging it.
  void allReduceSum(void *data, int64_t count, DType dtype) override {
    MPI_Datatype type = mpiType(dtype);
    auto *bytes = static_cast<char *>(data);
    inPieces(count, [&](int64_t first, int n) {
      deadline_.run("an all_reduce", [&] {
        MPI_Allreduce(MPI_IN_PLACE, bytes + first * int64_t(dtypeSize(dtype)), n, type, MPI_SUM,
                      MPI_COMM_WORLD);
      });
    });
  }

  void broadcast(void *data, size_t bytes, int root) override {
    auto *p = static_cast<char *>(data);
    inPieces(static_cast<int64_t>(bytes), [&](int64_t first, int n) {
      deadline_.run("a broadcast",
                    [&] { MPI_Bcast(p + first, n, MPI_BYTE, root, MPI_COMM_WORLD); });
    });
  }

  std::vector<uint64_t> allGather(uint64_t value) override {
    std::vector<uint64_t> all(static_cast<size_t>(size_));
    deadline_.run("an all_gather", [&] {
      MPI_Allgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
    });
    return all;
  }

private:
  int rank_ = 0, size_ = 1;
  CollectiveDeadline deadline_;
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
    // Collectives run on the main thread between steps and on the communication thread
    // of runtime/BucketedAllReduce during a step: never two at once.
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
      fail("mpirun started kiln, but MPI did not initialize");
    if (provided < MPI_THREAD_SERIALIZED)
      fail("this MPI library gives thread level {}; kiln needs MPI_THREAD_SERIALIZED", provided);
    std::atexit(finalizeAtExit);
    std::optional<std::string> badTimeout;
    std::chrono::duration<double> timeout(60);
    try {
      timeout = collectiveTimeout();
    } catch (const Error &e) {
      badTimeout = e.what();
    }
    setCommunicator(std::make_unique<MpiWorld>(timeout));
    if (badTimeout) // every rank reads the same environment: one line for the job
      throw GroupError(*badTimeout);
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
