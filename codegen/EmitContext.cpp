// EmitContext and KernelFunction: types, declarations, buffer pointers and counted loops.
#include "kiln/codegen/EmitContext.h"

#include <fmt/format.h>

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

KernelFunction::KernelFunction(EmitContext &ec, const std::string &name)
    : ec_(ec),
      function_(Function::Create(FunctionType::get(Type::getVoidTy(ec.context),
                                                   {ec.ptr(), ec.i64(), ec.i64(), ec.i64()}, false),
                                 GlobalValue::InternalLinkage, name, ec.module)),
      entry_(BasicBlock::Create(ec.context, "entry", function_)), builder_(ec.context),
      entryBuilder_(ec.context) {
  function_->setDoesNotThrow();
  function_->addFnAttr(Attribute::NoRecurse);
  // Kept out of kiln_step: one huge function would make code generation superlinearly slow.
  function_->addFnAttr(Attribute::NoInline);
  auto arg = function_->arg_begin();
  Value *ctx = &*arg++;
  begin_ = &*arg++;
  end_ = &*arg++;
  worker_ = &*arg++;
  ctx->setName("ctx");
  begin_->setName("begin");
  end_->setName("end");
  worker_->setName("worker");
  BasicBlock *body = BasicBlock::Create(ec.context, "body", function_);
  entryBuilder_.SetInsertPoint(entry_);
  args_ = entryBuilder_.CreateLoad(ec.ptr(), ctx, "args");
  arena_ = entryBuilder_.CreateLoad(
      ec.ptr(), entryBuilder_.CreateConstInBoundsGEP1_64(ec.ptr(), ctx, 1), "arena");
  entryBuilder_.CreateBr(body);
  entryBuilder_.SetInsertPoint(entry_->getTerminator());
  builder_.SetInsertPoint(body);
}

Value *KernelFunction::arenaAt(int64_t offset) {
  return entryBuilder_.CreateConstInBoundsGEP1_64(Type::getInt8Ty(ec_.context), arena_,
                                                  static_cast<uint64_t>(offset));
}

Value *KernelFunction::stackArray(Type *element, int64_t count) {
  AllocaInst *array = entryBuilder_.CreateAlloca(
      element, ConstantInt::get(ec_.i64(), static_cast<uint64_t>(count)), "tile");
  array->setAlignment(Align(64));
  return array;
}

Value *KernelFunction::buffer(ValueId value) {
  ValueId root = ec_.plan.root(value);
  auto it = buffers_.find(root);
  if (it != buffers_.end())
    return it->second;
  const Storage &st = ec_.plan.storage[root];
  Value *pointer = nullptr;
  switch (st.kind) {
  case StorageKind::Argument:
    pointer = entryBuilder_.CreateLoad(
        ec_.ptr(), entryBuilder_.CreateConstInBoundsGEP1_64(ec_.ptr(), args_, st.slot));
    break;
  case StorageKind::Arena:
    pointer = arenaAt(st.offset);
    break;
  case StorageKind::Global:
    pointer = ec_.globals.at(root);
    break;
  case StorageKind::Virtual:
  case StorageKind::Alias:
    assert(false && "a virtual value has no buffer");
    break;
  }
  pointer->setName(fmt::format("v{}", root));
  buffers_[root] = pointer;
  return pointer;
}

std::vector<Value *> KernelFunction::loop(
    Value *lo, Value *hi, std::vector<Value *> carried,
    const std::function<std::vector<Value *>(Value *, std::vector<Value *>)> &body) {
  LLVMContext &context = ec_.context;
  BasicBlock *before = builder_.GetInsertBlock();
  BasicBlock *header = BasicBlock::Create(context, "loop", function_);
  BasicBlock *inside = BasicBlock::Create(context, "loop.body", function_);
  BasicBlock *exit = BasicBlock::Create(context, "loop.exit", function_);
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

void KernelFunction::finish() { builder_.CreateRetVoid(); }

} // namespace kiln::codegen
