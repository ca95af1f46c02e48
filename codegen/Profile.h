// Per-kernel timing of compiled steps (KILN_JIT_PROFILE=1 or JitOptions::profile): the
// entry calls kiln_profile_mark(k) before kernel k and after the last, and the marks
// accumulate wall time per kernel into the profile of the run in progress. Waiting for
// all_reduce buckets between kernels is not a kernel's: kiln_profile_waited() after the
// waits counts it apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::codegen {

struct KernelProfile {
  std::vector<std::string> names;
  std::vector<double> seconds; ///< per kernel, summed over runs
  double waitSeconds = 0;      ///< waiting for all_reduce buckets, summed over runs
  int64_t runs = 0;

  /// The kernels by time, most expensive first, with their share; `top` lines at most.
  std::string report(size_t top = 25) const;
};

/// Makes `profile` receive the marks of the calling thread until the next call (null
/// to stop).
void setCurrentProfile(KernelProfile *profile);

} // namespace kiln::codegen

/// The symbol profiled JIT code calls.
extern "C" void kiln_profile_mark(int64_t kernel) noexcept;
extern "C" void kiln_profile_waited() noexcept;
