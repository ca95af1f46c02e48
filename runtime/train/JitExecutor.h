// The JIT behind the Executor interface: the step graph compiled by codegen/ into one
// native function, run against a ParamStore exactly as the interpreter executor is.
#pragma once

#include "kiln/runtime/train/Executor.h"

#include <memory>
#include <string>

namespace kiln {

/// Compiles `graph` now (or loads it from the disk cache); kiln::Error if LLVM fails.
std::unique_ptr<Executor> makeJitExecutor(Graph graph);

/// "compiled @cnn.train in 812 ms (cache miss), 25 kernels in 58 stages (54 distinct), arena
/// 41.2 MB, znver3 (avx2), 2 threads" and, on a second line, where the time went
/// (CompileStats::phaseSummary) for the JIT executor; empty for other executors.
std::string compileReport(const Executor &executor);

} // namespace kiln
