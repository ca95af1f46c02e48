// Communicator: the group of processes a data-parallel step runs in, one rank each
// (DESIGN §7: JIT code calls the runtime through C symbols). The all_reduce op, in the
// interpreter and in compiled steps (runtime/BucketedAllReduce.h), reduces over the
// *current* communicator: a single process until runtime/dist sets up an MPI group. So one graph
// runs unchanged alone (all_reduce is then the identity) and under `mpirun`.
#pragma once

#include "kiln/ir/Type.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace kiln {

class Communicator {
public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Replaces `count` elements at `data` by their elementwise sum over the ranks, on
  /// every rank. Every rank calls it with the same count and dtype, in the same order.
  virtual void allReduceSum(void *data, int64_t count, DType dtype) = 0;
  /// Copies `bytes` bytes at `data` of rank `root` into `data` of every rank.
  virtual void broadcast(void *data, size_t bytes, int root) = 0;
  /// Each rank's `value`, in rank order, on every rank.
  virtual std::vector<uint64_t> allGather(uint64_t value) = 0;
};

/// The group that all_reduce reduces over: a single process (rank 0 of 1) unless
/// setCommunicator installed another.
Communicator &communicator();
/// Installs `group` as the current communicator (nullptr: back to a single process) and
/// returns the previous one. Not while a step runs.
std::unique_ptr<Communicator> setCommunicator(std::unique_ptr<Communicator> group);

/// Rank 0 of the current communicator (every single process): the rank that prints and
/// writes files for a data-parallel run.
inline bool leadRank() { return communicator().rank() == 0; }

/// `in` reduced over the current communicator into `out` (which may be `in`): the sum,
/// or the sum divided by the number of ranks (`mean`, float types only).
void allReduce(const void *in, void *out, int64_t count, DType dtype, bool mean);

/// Divides `count` elements at `data`, a sum over the ranks, by their number (float
/// types; kiln::Error for others).
void divideByRanks(void *data, int64_t count, DType dtype);

} // namespace kiln
