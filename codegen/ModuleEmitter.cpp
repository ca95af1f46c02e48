// emitModule: constants, one function per kernel, the entry that sequences them.
#include "kiln/codegen/ModuleEmitter.h"

#include "kiln/codegen/EmitContext.h"
#include "kiln/codegen/LibJit.h"
#include "kiln/ir/Error.h"

#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

namespace kiln::codegen {

using namespace llvm;
using llvm::Type; // not kiln::Type

namespace {

/// The data of a `constant {data = [...]}` node as a module constant.
GlobalVariable *emitConstantData(EmitContext &ec, ValueId id) {
  const Node &node = ec.graph.node(id);
  std::vector<double> data = node.attrs.getFloats("data");
  Type *element = ec.storageType(node.type.dtype);
  std::vector<Constant *> values;
  for (double v : data) {
    switch (node.type.dtype) {
    case DType::F32:
      values.push_back(ConstantFP::get(element, double(float(v))));
      break;
    case DType::F64:
      values.push_back(ConstantFP::get(element, v));
      break;
    case DType::I32: {
      int32_t i = std::isnan(v)        ? 0
                  : v <= -2147483648.0 ? INT32_MIN
                  : v >= 2147483647.0  ? INT32_MAX
                                       : int32_t(v);
      values.push_back(ConstantInt::get(element, uint64_t(uint32_t(i))));
      break;
    }
    case DType::Bool:
      values.push_back(ConstantInt::get(element, v != 0.0 ? 1 : 0));
      break;
    }
  }
  ArrayType *type = ArrayType::get(element, values.size());
  auto *global =
      new GlobalVariable(ec.module, type, /*isConstant=*/true, GlobalValue::InternalLinkage,
                         ConstantArray::get(type, values), fmt::format("const.{}", id));
  global->setAlignment(Align(64));
  return global;
}

} // namespace

EmittedModule emitModule(const Graph &graph, const KernelPlan &plan) {
  EmittedModule out;
  out.context = std::make_unique<LLVMContext>();
  out.module = std::make_unique<Module>(graph.name(), *out.context);
  EmitContext ec{*out.context, *out.module, graph, plan, {}, {}};
  for (size_t v = 0; v < graph.size(); ++v)
    if (plan.storage[v].kind == StorageKind::Global)
      ec.globals[ValueId(v)] = emitConstantData(ec, ValueId(v));

  std::vector<std::pair<Function *, int64_t>> kernels; // with their work items
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const Kernel &kernel = plan.kernels[k];
    switch (kernel.kind) {
    case KernelKind::Loop:
    case KernelKind::ConcatPart:
    case KernelKind::Reduce: {
      KernelFunction kf(ec, kernel.name);
      LoopNest nest = buildLoopNest(graph, plan, kernel);
      emitLoopNest(ec, kf, nest);
      kernels.push_back({kf.launcher(), nest.items});
      out.kernelNames.push_back(kernel.name);
      break;
    }
    case KernelKind::Matmul:
    case KernelKind::Conv2d:
    case KernelKind::Conv2dInputGrad:
    case KernelKind::Conv2dFilterGrad:
    case KernelKind::SumChunks:
    case KernelKind::PackFilter:
    case KernelKind::MaxPool2d:
    case KernelKind::MaxPool2dGrad:
    case KernelKind::AvgPool2d:
    case KernelKind::AvgPool2dGrad: {
      // An elementwise kernel right after it may run inside it, item by item.
      std::optional<LoopNest> next;
      std::optional<Epilogue> epilogue;
      if (k + 1 < plan.kernels.size() && plan.kernels[k + 1].kind == KernelKind::Loop) {
        next = buildLoopNest(graph, plan, plan.kernels[k + 1]);
        epilogue = epilogueFor(ec, kernel, plan.kernels[k + 1], *next);
      }
      std::string name = kernel.name + (epilogue ? "+" + plan.kernels[k + 1].name : "");
      KernelFunction kf(ec, name);
      emitKernelCall(ec, kf, kernel, epilogue);
      kernels.push_back({kf.launcher(), kernel.items});
      out.kernelNames.push_back(name);
      if (epilogue)
        ++k;
      break;
    }
    }
  }

  // The entry: ctx = {args, arena}; each kernel over its items; the final copies.
  Type *i32 = Type::getInt32Ty(*out.context);
  Function *step = Function::Create(FunctionType::get(i32, {ec.ptr(), ec.ptr()}, false),
                                    GlobalValue::ExternalLinkage, kStepSymbol, *out.module);
  step->setDoesNotThrow();
  Value *args = step->getArg(0), *arena = step->getArg(1);
  args->setName("args");
  arena->setName("arena");
  IRBuilder<> b(BasicBlock::Create(*out.context, "entry", step));
  StructType *ctxType = StructType::get(*out.context, {ec.ptr(), ec.ptr()});
  Value *ctx = b.CreateAlloca(ctxType, nullptr, "ctx");
  b.CreateStore(args, b.CreateStructGEP(ctxType, ctx, 0));
  b.CreateStore(arena, b.CreateStructGEP(ctxType, ctx, 1));
  FunctionCallee parallelFor = ec.function("kiln_parallel_for", Type::getVoidTy(*out.context),
                                           {ec.ptr(), ec.ptr(), ec.i64(), ec.i64()});
  Value *workers = ConstantInt::get(ec.i64(), plan.options.workers);
  FunctionCallee mark = ec.function("kiln_profile_mark", Type::getVoidTy(*out.context), {ec.i64()});
  int64_t index = 0;
  for (auto [kernel, items] : kernels) {
    if (plan.options.profile)
      b.CreateCall(mark, {ConstantInt::get(ec.i64(), index++)});
    if (items > 1 && plan.options.workers > 1)
      b.CreateCall(parallelFor, {kernel, ctx, ConstantInt::get(ec.i64(), items), workers});
    else
      b.CreateCall(kernel, {ctx, ConstantInt::get(ec.i64(), 0), ConstantInt::get(ec.i64(), items),
                            ConstantInt::get(ec.i64(), 0)});
  }
  if (plan.options.profile)
    b.CreateCall(mark, {ConstantInt::get(ec.i64(), index)});
  for (const FinalCopy &copy : plan.copies) {
    ValueId root = plan.root(copy.value);
    const Storage &st = plan.storage[root];
    Value *source = nullptr;
    switch (st.kind) {
    case StorageKind::Argument:
      source = b.CreateLoad(ec.ptr(), b.CreateConstInBoundsGEP1_64(ec.ptr(), args, st.slot));
      break;
    case StorageKind::Arena:
      source = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), arena, st.offset);
      break;
    case StorageKind::Global:
      source = ec.globals.at(root);
      break;
    case StorageKind::Virtual:
    case StorageKind::Alias:
      fail("JIT: output %{} has no storage (internal error)", copy.value);
    }
    Value *target = b.CreateLoad(ec.ptr(), b.CreateConstInBoundsGEP1_64(ec.ptr(), args, copy.slot));
    uint64_t bytes =
        uint64_t(graph.type(copy.value).numElements()) * dtypeSize(graph.type(copy.value).dtype);
    if (bytes)
      b.CreateMemCpy(target, MaybeAlign(), source, MaybeAlign(), bytes);
  }
  b.CreateRet(ConstantInt::get(i32, 0));

  out.bodies = ec.bodies.size();
  linkLibJit(*out.module);
  std::string problems;
  raw_string_ostream stream(problems);
  if (verifyModule(*out.module, &stream))
    fail("JIT: the generated module of graph @{} is invalid (internal error): {}", graph.name(),
         problems);
  return out;
}

} // namespace kiln::codegen
