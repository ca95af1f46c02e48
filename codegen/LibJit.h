// libjit: kiln's kernels written once in C++ (codegen/libjit/), compiled to LLVM bitcode
// by clang at build time and embedded in kiln_codegen (Glow's approach, DESIGN §7).
#pragma once

namespace llvm {
class Module;
}

namespace kiln::codegen {

/// Links the libjit functions `module` declares (and only those) into it, and makes
/// every libjit symbol internal so LLVM inlines and specializes it and drops the rest.
/// Fails with kiln::Error if the embedded bitcode does not load.
void linkLibJit(llvm::Module &module);

} // namespace kiln::codegen
