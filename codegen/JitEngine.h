// JitEngine: kiln's one wrapper around LLVM's ORC LLJIT (STYLE "The JIT"). It detects
// the host, optimizes each module with the new pass manager's O3 pipeline for the host
// TargetMachine (in the IR transform layer), links it against an explicit allow-list of
// runtime symbols, and gives each compiled graph its own JITDylib and ResourceTracker so
// dropping the graph frees its code. Objects it compiles can be saved to the disk cache.
// This is the only file of kiln that includes ORC headers; LLVM's Error/Expected end
// here and leave as kiln::Error.
#pragma once

#include "kiln/codegen/libjit/KernelConfig.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class MemoryBuffer;
class MemoryBufferRef;
} // namespace llvm

namespace kiln::codegen {

/// The machine code is generated for, from llvm::sys::getHostCPUName() and
/// getHostCPUFeatures().
struct HostTarget {
  std::string triple;
  std::string cpu;      ///< "znver3"
  std::string features; ///< "+avx2,+fma,-avx512f,..." (every feature LLVM knows)
  libjit::Isa isa;      ///< the widest kernel variant the features allow
  /// "znver3 (avx2)" for logs and reports.
  std::string describe() const;
};

/// The host, detected once.
const HostTarget &hostTarget();

/// What the caller wants to see of one module's compilation.
struct CompileHooks {
  /// Receives the textual IR before and after O3.
  std::function<void(std::string before, std::string after)> onIr;
  /// Receives the object files once all are compiled (for the disk cache): one per part
  /// the module was split into for compiling on several threads.
  std::function<void(std::vector<std::string> objects)> onObjects;
};

/// One compiled graph's code inside the JIT; destroying it frees the code.
class JitCode {
public:
  virtual ~JitCode() = default;
  /// The address of `symbol` (defined by this graph's module), or kiln::Error.
  virtual void *lookup(std::string_view symbol) = 0;

  /// Typed lookup: `code.lookup<int32_t(void **, uint8_t *)>("kiln_step")`.
  template <typename Fn> Fn *lookup(std::string_view symbol) {
    return reinterpret_cast<Fn *>(lookup(symbol));
  }
};

class JitEngine {
public:
  /// The process-wide engine; kiln::Error if LLVM cannot target the host.
  static JitEngine &global();
  virtual ~JitEngine() = default;

  /// Adds a module for compilation on first lookup: split into one part per compile
  /// thread (one part when onIr is set), each through O3 in the IR transform layer, then
  /// machine code; the hooks run during that lookup.
  virtual std::unique_ptr<JitCode> addModule(std::unique_ptr<llvm::LLVMContext> context,
                                             std::unique_ptr<llvm::Module> module,
                                             CompileHooks hooks) = 0;
  /// Adds previously compiled object files (from the disk cache).
  virtual std::unique_ptr<JitCode>
  addObjects(std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects) = 0;

  /// Runs the same O3 pipeline the JIT runs, in place (for `kiln ir --stage llvm`).
  virtual void optimize(llvm::Module &module) = 0;
  /// The host assembly of an (optimized) module (for `kiln ir --stage asm`).
  virtual std::string assembly(llvm::Module &module) = 0;
  /// Sets the module's triple, data layout and every function's target attributes to
  /// the host's, so the optimizer's cost models see the real vector width.
  virtual void configureModule(llvm::Module &module) = 0;
};

} // namespace kiln::codegen
