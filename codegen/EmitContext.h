// What the IR emitters share: the module being built, the graph and its stages, LLVM types
// of kiln's dtypes, and the kernel function being filled (its arguments and the base
// pointers of the buffers it touches, computed once in its entry block).
#pragma once

#include "kiln/codegen/StepPlan.h"
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
  const StepPlan &plan;
  /// Constant data of `constant {data}` nodes, by value.
  std::map<ValueId, llvm::GlobalVariable *> globals;
  /// Kernel bodies by their text (see KernelFunction::finish): kernels that differ only
  /// in the buffers they touch share one body.
  std::map<std::string, llvm::Function *> bodies;

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

/// A kernel being emitted. Its code goes into a body function that receives every
/// buffer it touches as a `noalias` pointer argument, followed by (i64 begin, i64 end,
/// i64 worker): the work items [begin, end) to run. The body never sees an argument slot
/// or an arena offset, so kernels that differ only in their buffers (the time steps of
/// an unrolled LSTM, the layers of equal width) have the same body text and share one
/// compiled body. finish() makes the launcher kiln_step calls, `void (ptr ctx, i64
/// begin, i64 end, i64 worker)` with ctx = {ptr args, ptr arena}: it computes this
/// kernel's buffer pointers and calls the (shared) body.
class KernelFunction {
public:
  /// The function of stage `stage` of the plan (whose kernel's buffers it may touch).
  KernelFunction(EmitContext &ec, const std::string &name, size_t stage);

  /// The function being filled (until finish()).
  llvm::Function *function() const { return body_; }
  llvm::IRBuilder<> &builder() { return builder_; }
  llvm::Value *begin() const { return begin_; }
  llvm::Value *end() const { return end_; }
  llvm::Value *worker() const { return worker_; }
  size_t stage() const { return stage_; }
  /// The base pointer of `value`'s storage (through reshapes), `bytes` further on. A
  /// constant offset folded into the pointer keeps it out of the body's text, so the
  /// slices of a tensor at different places share one body.
  llvm::Value *buffer(ValueId value, int64_t bytes = 0);
  /// arena + offset.
  llvm::Value *arenaAt(int64_t offset);
  /// Declares that the kernel writes `value`'s buffer (the others it only reads; arena
  /// scratch is never shared with a buffer).
  void writes(ValueId value);
  /// A stack array of `count` elements, allocated once in the entry block.
  llvm::Value *stackArray(llvm::Type *element, int64_t count);

  /// for (iv = lo; iv < hi; ++iv) carried = body(iv, carried); returns the carried
  /// values after the loop. The builder ends in the loop's exit block.
  std::vector<llvm::Value *>
  loop(llvm::Value *lo, llvm::Value *hi, std::vector<llvm::Value *> carried,
       const std::function<std::vector<llvm::Value *>(llvm::Value *, std::vector<llvm::Value *>)>
           &body);
  /// Terminates the body, replaces it by an identical earlier one if there is one, and
  /// makes the launcher.
  void finish();
  /// The launcher (after finish()).
  llvm::Function *launcher() const { return launcher_; }

private:
  /// Where a buffer pointer comes from; while the body is emitted it is a load from
  /// a load from the pointer-table argument, replaced by a pointer argument in finish().
  struct Pointer {
    StorageKind kind;     ///< Argument, Arena or Global
    int64_t where;        ///< argument slot or arena offset
    llvm::Constant *global;
    int64_t bytes;        ///< further on from there
    llvm::Instruction *standIn;
  };
  llvm::Value *pointer(StorageKind kind, int64_t where, llvm::Constant *global, int64_t bytes);
  bool sharesBuffer(size_t pointer) const;
  /// Whether pointer `i` may alias another one that writes: only pointers into a written
  /// buffer that another pointer also reaches lose `noalias`.
  bool mayAlias(size_t pointer) const;
  llvm::Function *sealBody();
  /// The address `p` stands for, from the step's arguments and arena.
  llvm::Value *bufferAddress(llvm::IRBuilder<> &b, llvm::Value *args, llvm::Value *arena,
                             const Pointer &p);
  void makeLauncher(llvm::Function *body);

  EmitContext &ec_;
  std::string name_;
  llvm::Function *body_;
  llvm::Function *launcher_ = nullptr;
  llvm::BasicBlock *entry_;
  llvm::IRBuilder<> builder_;
  llvm::IRBuilder<> entryBuilder_;
  llvm::Value *begin_, *end_, *worker_, *pointerTable_;
  std::vector<Pointer> pointers_;
  size_t stage_;
  std::vector<Storage> written_; ///< the buffers the kernel writes
  bool directAddresses_ = false;  ///< the body takes (args, arena), not buffer pointers
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

/// The epilogue of stage `stage` if `nest` (the stage after it, in the same kernel) can
/// run as one: an elementwise Store nest over the same shape that reads the stage's
/// value only at the element it writes, whose rows align with the stage's work items.
std::optional<Epilogue> epilogueFor(const EmitContext &ec, size_t stage, const LoopNest &nest);

/// Fills `kf` with calls of the libjit kernel of a contraction, window or chunk-sum
/// stage, one call per work item, each followed by `epilogue` if given.
void emitKernelCall(EmitContext &ec, KernelFunction &kf, const Stage &stage,
                    const std::optional<Epilogue> &epilogue = std::nullopt);

} // namespace kiln::codegen
