// What the IR emitters share: the module being built, the graph and its plan, LLVM types
// of kiln's dtypes, and the kernel function being filled (its arguments and the base
// pointers of the buffers it touches, computed once in its entry block).
#pragma once

#include "kiln/codegen/KernelPlan.h"
#include "kiln/codegen/LoopNest.h"
#include "kiln/ir/Graph.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::codegen {

struct EmitContext {
  llvm::LLVMContext &context;
  llvm::Module &module;
  const Graph &graph;
  const KernelPlan &plan;
  /// Constant data of `constant {data}` nodes, by value.
  std::map<ValueId, llvm::GlobalVariable *> globals;

  /// The in-memory type of a dtype (bool is a byte).
  llvm::Type *storageType(DType dtype) const;
  /// The type of a dtype inside an expression (bool is i1).
  llvm::Type *valueType(DType dtype) const;
  llvm::Type *i64() const { return llvm::Type::getInt64Ty(context); }
  llvm::Type *ptr() const { return llvm::PointerType::getUnqual(context); }
  /// The libjit or runtime function `name` (declared; libjit definitions are linked in
  /// after emission).
  llvm::FunctionCallee function(const std::string &name, llvm::Type *result,
                                std::vector<llvm::Type *> params);
  /// "f32" / "f64": the dtype suffix of libjit entries.
  static std::string dtypeSuffix(DType dtype);
  /// "f32_avx2": dtype and ISA suffix of libjit's GEMM-based entries.
  std::string isaSuffix(DType dtype) const;
};

/// A kernel function `void (ptr ctx, i64 begin, i64 end, i64 worker)` being emitted:
/// ctx points at {ptr args, ptr arena}; [begin, end) are the work items to run.
class KernelFunction {
public:
  KernelFunction(EmitContext &ec, const std::string &name);

  llvm::Function *function() const { return function_; }
  llvm::IRBuilder<> &builder() { return builder_; }
  llvm::Value *begin() const { return begin_; }
  llvm::Value *end() const { return end_; }
  llvm::Value *worker() const { return worker_; }
  llvm::Value *arena() const { return arena_; }
  /// The base pointer of `value`'s storage (follows aliases), emitted in the entry block.
  llvm::Value *buffer(ValueId value);
  /// arena + offset, emitted in the entry block.
  llvm::Value *arenaAt(int64_t offset);
  /// A stack array of `count` elements, allocated once in the entry block.
  llvm::Value *stackArray(llvm::Type *element, int64_t count);

  /// for (iv = lo; iv < hi; ++iv) carried = body(iv, carried); returns the carried
  /// values after the loop. The builder ends in the loop's exit block.
  std::vector<llvm::Value *>
  loop(llvm::Value *lo, llvm::Value *hi, std::vector<llvm::Value *> carried,
       const std::function<std::vector<llvm::Value *>(llvm::Value *, std::vector<llvm::Value *>)>
           &body);
  /// Terminates the function.
  void finish();

private:
  EmitContext &ec_;
  llvm::Function *function_;
  llvm::BasicBlock *entry_;
  llvm::IRBuilder<> builder_;
  llvm::IRBuilder<> entryBuilder_;
  llvm::Value *begin_, *end_, *worker_, *args_, *arena_;
  std::map<ValueId, llvm::Value *> buffers_;
};

/// Fills `kf` with the loop nest of a Loop, ConcatPart or Reduce kernel.
void emitLoopNest(EmitContext &ec, KernelFunction &kf, const LoopNest &nest);

/// Emits rows [lo, hi) of the outermost loop of `nest` at the builder's position (the
/// epilogue of a contraction's work item).
void emitLoopRows(EmitContext &ec, KernelFunction &kf, const LoopNest &nest, llvm::Value *lo,
                  llvm::Value *hi);

/// An elementwise loop kernel run inside a contraction or window kernel, right after
/// each work item, over the rows that item wrote (while they are in cache).
struct Epilogue {
  const LoopNest *nest = nullptr;
  int64_t elementsPerItem = 0; ///< the contiguous output elements one item writes
  int64_t rowElements = 0;     ///< elements per outermost row of the nest
};

/// The epilogue of `kernel` if `next` (the kernel after it) can run as one: an
/// elementwise Store nest over the same shape that reads the kernel's value only at the
/// element it writes, whose rows align with the kernel's work items.
std::optional<Epilogue> epilogueFor(const EmitContext &ec, const Kernel &kernel, const Kernel &next,
                                    const LoopNest &nest);

/// Fills `kf` with calls of the libjit kernel of a contraction, window or chunk-sum
/// kernel, one call per work item, each followed by `epilogue` if given.
void emitKernelCall(EmitContext &ec, KernelFunction &kf, const Kernel &kernel,
                    const std::optional<Epilogue> &epilogue = std::nullopt);

} // namespace kiln::codegen
