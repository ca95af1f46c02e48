// linkLibJit: load the embedded bitcode lazily into the module's context, link what is used.
#include "kiln/codegen/LibJit.h"

#include "kiln/ir/Error.h"

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/Module.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>

#include <cstddef>
#include <set>
#include <string>

namespace kiln::codegen {

// Generated at build time from codegen/libjit/LibJit.cpp (see codegen/CMakeLists.txt).
extern const unsigned char kLibJitBitcode[];
extern const size_t kLibJitBitcodeSize;

void linkLibJit(llvm::Module &module) {
  std::set<std::string> ownDefinitions;
  for (llvm::Function &f : module)
    if (!f.isDeclaration())
      ownDefinitions.insert(f.getName().str());
  llvm::MemoryBufferRef buffer(
      llvm::StringRef(reinterpret_cast<const char *>(kLibJitBitcode), kLibJitBitcodeSize),
      "libjit.bc");
  // Lazily: the linker materializes only the functions the module uses, a fraction of
  // libjit's bodies (parsing all of them was most of emit-llvm's time on small steps).
  llvm::Expected<std::unique_ptr<llvm::Module>> libjit =
      llvm::getLazyBitcodeModule(buffer, module.getContext());
  if (!libjit)
    fail("JIT: cannot load the embedded libjit bitcode: {}", llvm::toString(libjit.takeError()));
  (*libjit)->setDataLayout(module.getDataLayout());
  (*libjit)->setTargetTriple(module.getTargetTriple());
  if (llvm::Linker::linkModules(module, std::move(*libjit), llvm::Linker::LinkOnlyNeeded))
    fail("JIT: linking libjit into the module failed");
  // Everything but the module's own external entry points becomes internal: inlined
  // where always_inline says so, dropped by O3 when unused.
  for (llvm::Function &f : module)
    if (!f.isDeclaration() && !ownDefinitions.count(f.getName().str())) {
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
      f.setComdat(nullptr);
    }
}

} // namespace kiln::codegen
