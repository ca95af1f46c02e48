// plan-memory: where every buffer of a kernel program lives during a step (see
// MemoryPlan.cpp for the algorithm). Must be called on a program that verifies
// (verifyProgram).
#pragma once

#include "kiln/passes/KernelProgram.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// The kernels during which a buffer holds a value: written by kernel `first` (-1 for
/// arguments and constants, which exist before the step), last read by kernel `last`
/// (the number of kernels for outputs and new state values, which live past the step).
struct Lifetime {
  int first = -1;
  int last = -1;
  bool overlaps(const Lifetime &o) const { return first <= o.last && o.first <= last; }
};

/// Liveness over the kernel program: one lifetime per buffer.
std::vector<Lifetime> bufferLifetimes(const KernelProgram &program);

enum class Placement {
  External, ///< inputs and state (the caller's tensors), constants (the program's)
  Arena,    ///< temporaries, outputs, kernel scratch: one arena, at an offset
  /// Written over another buffer's storage: a state's new value over the state, or a
  /// value over a buffer its own kernel no longer needs (an epilogue over the result of
  /// its contraction)
  InPlace,
  Caller,   ///< an output or new state value written straight into the caller's tensor
};

/// Where a step's results go.
enum class ResultPlacement {
  /// Outputs live in the arena until the step ends; new state values overwrite the old
  /// where that is safe (the step owns its state, as ProgramRunner does).
  Arena,
  /// Each output and new state value is written straight into a tensor the caller passes
  /// (the JIT's calling convention: args = inputs, state, outputs, updates); the state is
  /// never overwritten.
  Caller,
};

/// How arena offsets are chosen.
enum class ArenaStrategy {
  BestFit,   ///< each at the smallest gap free for its whole lifetime (several orders)
  Colouring, ///< interference graph coloured with Boost.Graph; one slot per colour
};

/// The default: best fit, the smaller arena on every tutorial model (measured by
/// `kiln ir MODEL --stage program --memory`, which prints both).
inline constexpr ArenaStrategy kDefaultArenaStrategy = ArenaStrategy::BestFit;

std::string_view arenaStrategyName(ArenaStrategy strategy);

inline constexpr int64_t kArenaAlignment = 64;

/// The bytes a buffer occupies when allocated: its size rounded up to kArenaAlignment
/// (at least one block), as in the arena and as a Tensor allocation.
int64_t allocatedBytes(const Buffer &buffer);

struct BufferPlacement {
  Placement where = Placement::External;
  int64_t offset = -1; ///< Arena, and InPlace over an arena buffer: bytes from its start
  BufferId state = -1; ///< InPlace: the buffer whose storage it uses
  int64_t slot = -1;   ///< Caller: the argument slot of the caller's tensor
};

struct MemoryPlan {
  ArenaStrategy strategy = kDefaultArenaStrategy;
  ResultPlacement results = ResultPlacement::Arena;
  std::vector<Lifetime> lifetimes;         ///< per buffer
  std::vector<BufferPlacement> placements; ///< per buffer
  int64_t arenaBytes = 0;
};

/// Plans the program's memory:
///   - a state's new value goes into the state's own storage when that is safe: the
///     writing kernel runs after every other kernel that reads the old value and reads
///     it itself only elementwise (fusion's rule R4), the old value is not a program
///     output, and the new value is neither an output nor another state's new value;
///   - every other temporary and output gets an arena offset with `strategy`; two
///     buffers whose lifetimes overlap never share bytes; outputs live to the end of the
///     step, so they are never clobbered; inputs, state and constants are external.
///   - with ResultPlacement::Caller, the first output or update naming a buffer a kernel
///     writes gets that slot's caller tensor instead (nothing is updated in place);
///   - a kernel's scratch lives during that kernel only;
///   - a value may take the place of a buffer of its own kernel that it reads element for
///     element and that nothing reads after it.
MemoryPlan planMemory(const KernelProgram &program, ArenaStrategy strategy = kDefaultArenaStrategy,
                      ResultPlacement results = ResultPlacement::Arena);

/// The memory report of `kiln ir ... --memory`: bytes of all intermediate buffers without
/// reuse (before planning), the peak of simultaneously live intermediate bytes (the
/// lower bound), the arena of both strategies (after planning), the in-place updates, and
/// the forward activations kept for the backward pass.
std::string memoryReport(const KernelProgram &program, const MemoryPlan &plan);

/// The figures of the report, for tests and targets.
struct MemoryFigures {
  /// Allocated bytes (allocatedBytes) of the temporaries and outputs not updated in place.
  int64_t intermediateBytes = 0;
  int64_t peakLiveBytes = 0; ///< allocated bytes of the arena buffers live at once
  int peakKernel = -1;       ///< the kernel during which the peak is reached
  int64_t arenaBytes = 0;
  int64_t inPlaceUpdates = 0, updates = 0;
  int64_t keptActivationBytes = 0;
  std::vector<BufferId> keptActivations; ///< forward values read by the backward pass
};
MemoryFigures memoryFigures(const KernelProgram &program, const MemoryPlan &plan);

} // namespace kiln
