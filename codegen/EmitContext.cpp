// EmitContext and KernelFunction: types, declarations, buffer pointers and counted loops.
#include "kiln/codegen/EmitContext.h"

#include "kiln/codegen/ModuleSplit.h"

#include <fmt/format.h>
#include <llvm/Support/raw_ostream.h>

#include <cassert>

namespace kiln::codegen {

using namespace llvm;
using llvm::Type; // not kiln::Type

Type *EmitContext::storageType(DType dtype) const {
  switch (dtype) {
  case DType::F32:
    return Type::getFloatTy(context);
  case DType::F64:
    return Type::getDoubleTy(context);
  case DType::I32:
    return Type::getInt32Ty(context);
  case DType::Bool:
    return Type::getInt8Ty(context);
  }
  assert(false && "unknown dtype");
  return nullptr;
}

Type *EmitContext::valueType(DType dtype) const {
  return dtype == DType::Bool ? Type::getInt1Ty(context) : storageType(dtype);
}

FunctionCallee EmitContext::function(const std::string &name, Type *result,
                                     std::vector<Type *> params) {
  FunctionCallee callee =
      module.getOrInsertFunction(name, FunctionType::get(result, params, /*isVarArg=*/false));
  if (auto *f = dyn_cast<Function>(callee.getCallee()))
    f->setDoesNotThrow();
  return callee;
}

std::string EmitContext::dtypeSuffix(DType dtype) {
  assert((dtype == DType::F32 || dtype == DType::F64) && "libjit kernels are float kernels");
  return dtype == DType::F64 ? "f64" : "f32";
}

std::string EmitContext::isaSuffix(DType dtype) const {
  switch (plan.options.isa) {
  case libjit::Isa::Avx512:
    return dtypeSuffix(dtype) + "_avx512";
  case libjit::Isa::Avx2:
    return dtypeSuffix(dtype) + "_avx2";
  case libjit::Isa::Generic:
    break;
  }
  return dtypeSuffix(dtype) + "_generic";
}

KernelFunction::KernelFunction(EmitContext &ec, const std::string &name, size_t stage)
    : ec_(ec), name_(name),
      body_(Function::Create(FunctionType::get(Type::getVoidTy(ec.context),
                                               {ec.ptr(), ec.i64(), ec.i64(), ec.i64()}, false),
                             GlobalValue::InternalLinkage, name + ".body", ec.module)),
      entry_(BasicBlock::Create(ec.context, "entry", body_)), builder_(ec.context),
      entryBuilder_(ec.context), stage_(stage) {
  auto arg = body_->arg_begin();
  pointerTable_ = &*arg++;
  begin_ = &*arg++;
  end_ = &*arg++;
  worker_ = &*arg++;
  begin_->setName("begin");
  end_->setName("end");
  worker_->setName("worker");
  BasicBlock *body = BasicBlock::Create(ec.context, "body", body_);
  entryBuilder_.SetInsertPoint(entry_);
  entryBuilder_.CreateBr(body);
  entryBuilder_.SetInsertPoint(entry_->getTerminator());
  builder_.SetInsertPoint(body);
}

Value *KernelFunction::pointer(StorageKind kind, int64_t where, Constant *global, int64_t bytes) {
  for (const Pointer &p : pointers_)
    if (p.kind == kind && p.where == where && p.global == global && p.bytes == bytes)
      return p.standIn;
  auto *load = entryBuilder_.CreateLoad(
      ec_.ptr(), entryBuilder_.CreateConstInBoundsGEP1_64(ec_.ptr(), pointerTable_, pointers_.size()));
  pointers_.push_back({kind, where, global, bytes, load});
  return load;
}

Value *KernelFunction::stackArray(Type *element, int64_t count) {
  AllocaInst *array = entryBuilder_.CreateAlloca(
      element, ConstantInt::get(ec_.i64(), static_cast<uint64_t>(count)), "tile");
  array->setAlignment(Align(64));
  return array;
}

bool KernelFunction::sharesBuffer(size_t i) const {
  const Pointer &p = pointers_[i];
  for (size_t j = 0; j < pointers_.size(); ++j)
    if (j != i && pointers_[j].kind == p.kind && pointers_[j].where == p.where &&
        pointers_[j].global == p.global)
      return true;
  return false;
}

void KernelFunction::writes(ValueId value) {
  written_.push_back(ec_.plan.storage(ec_.plan.root(value, stage_), stage_));
}

bool KernelFunction::mayAlias(size_t i) const {
  if (!sharesBuffer(i))
    return false;
  const Pointer &p = pointers_[i];
  if (p.kind == StorageKind::Global)
    return false; // constant data is never written
  for (const Storage &st : written_) {
    int64_t where = st.kind == StorageKind::Argument ? st.slot : st.offset;
    if (st.kind == p.kind && where == p.where)
      return true;
  }
  return false;
}

Value *KernelFunction::arenaAt(int64_t offset) {
  return pointer(StorageKind::Arena, offset, nullptr, 0);
}

Value *KernelFunction::buffer(ValueId value, int64_t bytes) {
  Storage st = ec_.plan.storage(ec_.plan.root(value, stage_), stage_);
  switch (st.kind) {
  case StorageKind::Argument:
    return pointer(StorageKind::Argument, st.slot, nullptr, bytes);
  case StorageKind::Arena:
    return pointer(StorageKind::Arena, st.offset, nullptr, bytes);
  case StorageKind::Global:
    return pointer(StorageKind::Global, -1, ec_.globals.at(st.global), bytes);
  case StorageKind::Virtual:
    break;
  }
  assert(false && "a virtual value has no buffer");
  return nullptr;
}

void KernelFunction::finish() {
  builder_.CreateRetVoid();
  makeLauncher(sealBody());
}

/// Moves the body into a function whose arguments are the buffer pointers, then looks for
/// an earlier body with the same text. Buffers a kernel touches are live together, so the
/// planner gave them disjoint places: a pointer is noalias unless another one points
/// into the same buffer and that buffer is written (noalias constrains only memory the
/// function modifies, so many slices of one read-only tensor keep it, and with it the
/// vectorizer needs no runtime overlap checks).
Function *KernelFunction::sealBody() {
  // Past a few buffers, pointer arguments cost more than sharing saves: each one holds a
  // register through the loop, where addresses at constant offsets from the arena share
  // one. lstm's time-step gradient sums read 28 buffers: 5.5 ms each with pointer
  // arguments, 3.0 with arena offsets (one thread, one compile part). Such a body
  // computes its addresses itself from (args, arena), as the launcher does.
  constexpr size_t kMaxBufferArguments = 24;
  bool direct = pointers_.size() > kMaxBufferArguments;
  std::vector<Type *> params(direct ? 2 : pointers_.size(), ec_.ptr());
  params.insert(params.end(), {ec_.i64(), ec_.i64(), ec_.i64()});
  Function *sealed =
      Function::Create(FunctionType::get(Type::getVoidTy(ec_.context), params, false),
                       GlobalValue::InternalLinkage, "kiln.body", ec_.module);
  sealed->setDoesNotThrow();
  sealed->addFnAttr(Attribute::NoRecurse);
  // A body is shared by its launchers, and kiln_step stays small: code generation time
  // grows faster than linearly in a function's size.
  sealed->addFnAttr(Attribute::NoInline);
  sealed->addFnAttr(kKernelAttribute);
  sealed->splice(sealed->end(), body_);
  if (direct) {
    sealed->getArg(0)->setName("args");
    sealed->getArg(1)->setName("arena");
  }
  for (size_t i = 0; i < pointers_.size(); ++i) {
    Instruction *load = pointers_[i].standIn;
    auto *address = cast<Instruction>(load->getOperand(0));
    Value *replacement = nullptr;
    if (direct) {
      IRBuilder<> b(load);
      replacement = bufferAddress(b, sealed->getArg(0), sealed->getArg(1), pointers_[i]);
    } else {
      Argument *arg = sealed->getArg(unsigned(i));
      if (!mayAlias(i))
        arg->addAttr(Attribute::NoAlias);
      arg->setName(fmt::format("p{}", i));
      replacement = arg;
    }
    load->replaceAllUsesWith(replacement);
    load->eraseFromParent();
    if (address->use_empty())
      address->eraseFromParent();
  }
  directAddresses_ = direct;
  size_t n = direct ? 2 : pointers_.size();
  begin_->replaceAllUsesWith(sealed->getArg(unsigned(n)));
  end_->replaceAllUsesWith(sealed->getArg(unsigned(n + 1)));
  worker_->replaceAllUsesWith(sealed->getArg(unsigned(n + 2)));
  sealed->getArg(unsigned(n))->setName("begin");
  sealed->getArg(unsigned(n + 1))->setName("end");
  sealed->getArg(unsigned(n + 2))->setName("worker");
  body_->eraseFromParent();
  body_ = nullptr;

  std::string text;
  raw_string_ostream stream(text);
  sealed->print(stream);
  auto [it, fresh] = ec_.bodies.emplace(std::move(text), sealed);
  if (!fresh) {
    sealed->eraseFromParent();
    return it->second;
  }
  sealed->setName(name_ + ".body");
  return sealed;
}

Value *KernelFunction::bufferAddress(IRBuilder<> &b, Value *args, Value *arena, const Pointer &p) {
  Value *base = p.global;
  int64_t bytes = p.bytes;
  if (p.kind == StorageKind::Argument)
    base = b.CreateLoad(ec_.ptr(), b.CreateConstInBoundsGEP1_64(ec_.ptr(), args, p.where));
  if (p.kind == StorageKind::Arena) {
    base = arena;
    bytes += p.where;
  }
  return bytes ? b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), base, uint64_t(bytes)) : base;
}

void KernelFunction::makeLauncher(Function *body) {
  launcher_ = Function::Create(FunctionType::get(Type::getVoidTy(ec_.context),
                                                 {ec_.ptr(), ec_.i64(), ec_.i64(), ec_.i64()}, false),
                               GlobalValue::InternalLinkage, name_, ec_.module);
  launcher_->setDoesNotThrow();
  launcher_->addFnAttr(Attribute::NoRecurse);
  launcher_->addFnAttr(Attribute::NoInline); // kept out of kiln_step, as above
  launcher_->addFnAttr(kKernelAttribute);
  auto arg = launcher_->arg_begin();
  Value *ctx = &*arg++;
  ctx->setName("ctx");
  IRBuilder<> b(BasicBlock::Create(ec_.context, "entry", launcher_));
  Value *args = b.CreateLoad(ec_.ptr(), ctx, "args");
  Value *arena = b.CreateLoad(ec_.ptr(), b.CreateConstInBoundsGEP1_64(ec_.ptr(), ctx, 1), "arena");
  std::vector<Value *> operands;
  if (directAddresses_)
    operands = {args, arena};
  else
    for (const Pointer &p : pointers_)
      operands.push_back(bufferAddress(b, args, arena, p));
  for (; arg != launcher_->arg_end(); ++arg)
    operands.push_back(&*arg);
  b.CreateCall(body, operands);
  b.CreateRetVoid();
}

std::vector<Value *> KernelFunction::loop(
    Value *lo, Value *hi, std::vector<Value *> carried,
    const std::function<std::vector<Value *>(Value *, std::vector<Value *>)> &body) {
  LLVMContext &context = ec_.context;
  BasicBlock *before = builder_.GetInsertBlock();
  BasicBlock *header = BasicBlock::Create(context, "loop", body_);
  BasicBlock *inside = BasicBlock::Create(context, "loop.body", body_);
  BasicBlock *exit = BasicBlock::Create(context, "loop.exit", body_);
  builder_.CreateBr(header);
  builder_.SetInsertPoint(header);
  PHINode *iv = builder_.CreatePHI(ec_.i64(), 2, "i");
  iv->addIncoming(lo, before);
  std::vector<PHINode *> phis;
  std::vector<Value *> current;
  for (Value *init : carried) {
    PHINode *phi = builder_.CreatePHI(init->getType(), 2);
    phi->addIncoming(init, before);
    phis.push_back(phi);
    current.push_back(phi);
  }
  builder_.CreateCondBr(builder_.CreateICmpSLT(iv, hi), inside, exit);
  builder_.SetInsertPoint(inside);
  std::vector<Value *> next = body(iv, current);
  assert(next.size() == phis.size() && "a loop body must return every carried value");
  Value *step = builder_.CreateAdd(iv, ConstantInt::get(ec_.i64(), 1), "i.next",
                                   /*HasNUW=*/true, /*HasNSW=*/true);
  BasicBlock *latch = builder_.GetInsertBlock();
  builder_.CreateBr(header);
  iv->addIncoming(step, latch);
  for (size_t i = 0; i < phis.size(); ++i)
    phis[i]->addIncoming(next[i], latch);
  builder_.SetInsertPoint(exit);
  return current;
}


} // namespace kiln::codegen
