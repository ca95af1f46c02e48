// Joining the process group of an MPI job (`mpirun -np N kiln train ...`): each process
// is one rank of a data-parallel run; the all_reduce op (runtime/Communicator.h) then
// reduces over MPI_COMM_WORLD. A process not started by mpirun is a group of one.
#pragma once

#include "kiln/ir/Error.h"
#include "kiln/runtime/Communicator.h"

#include <cstdint>
#include <string>

namespace kiln {

/// True when mpirun (or another PMI launcher) started this process, read from the
/// environment the launcher sets.
bool startedByMpirun();

/// Under mpirun: initializes MPI once, installs MPI_COMM_WORLD as the current
/// communicator and returns its size; MPI is finalized when the process exits normally.
/// Otherwise returns 1 and changes nothing. kiln::Error if MPI cannot start.
int joinProcessGroup();

/// Ends every rank of the job with `code` (MPI_Abort): after an error on one rank, the
/// others may be waiting in a collective, where a normal exit would leave them hanging.
/// A single process just exits.
[[noreturn]] void abortProcessGroup(int code);

/// An error every rank raises at once (a check all of them made together): the command
/// line prints it on rank 0 only, so the job reports it in one line.
class GroupError : public Error {
public:
  using Error::Error;
};

/// GroupError unless every rank passed the same `value` (a fingerprint of what must
/// agree: the step graph, the kiln version): "`what` differs between ranks: rank 0 has
/// ..., rank 2 has ...". Every rank throws, so all of them stop.
void requireSameOnEveryRank(uint64_t value, const std::string &what);

} // namespace kiln
