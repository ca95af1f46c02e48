// splitModule: divides a graph's module into parts that LLVM optimizes and compiles on
// separate threads (each part in its own LLVMContext, linked back together by the JIT).
// Compile time of one big module is what the user waits for on a cold start; its
// kernels are independent, so on N cores N parts take about 1/N of the time.
//
// A unit is a kernel body with the launchers that call it, or one of libjit's noinline
// functions (packers, micro-kernels), which every caller shares across parts. Code the
// units inline (libjit's always_inline functions) and constant data are copied into every
// part that reaches them. Units go to the least loaded part, largest first (by
// instruction count, calls of inlined libjit code weighted as the code they bring). The
// entry goes to part 0.
#pragma once

#include <set>
#include <vector>

namespace llvm {
class GlobalValue;
class Module;
} // namespace llvm

namespace kiln::codegen {

/// The function attribute that marks kernel bodies and launchers (set by the emitter).
inline constexpr const char *kKernelAttribute = "kiln-kernel";

/// The definitions each part holds. Functions called across parts become external.
using ModuleParts = std::vector<std::set<const llvm::GlobalValue *>>;

/// At most `parts` parts of `module` (fewer when it has fewer units); `entry` is the
/// name of the function that calls the launchers.
ModuleParts splitModule(llvm::Module &module, int parts, const char *entry);

} // namespace kiln::codegen
