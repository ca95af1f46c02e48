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

EmittedModule emitModule(const Graph &graph, const StepPlan &plan) {
  EmittedModule out;
  out.context = std::make_unique<LLVMContext>();
  out.module = std::make_unique<Module>(graph.name(), *out.context);
  EmitContext ec{*out.context, *out.module, graph, plan, {}, {}};
  auto global = [&](const Storage &st) {
    if (st.kind == StorageKind::Global && !ec.globals.count(st.global))
      ec.globals[st.global] = emitConstantData(ec, st.global);
  };
  for (const std::vector<StepPlan::Access> &buffers : plan.access)
    for (const StepPlan::Access &a : buffers)
      global(a.storage);
  for (const FinalCopy &copy : plan.copies)
    global(copy.from);

  // Each program kernel is its stages in order, each a function over work items.
  struct Call {
    Function *launcher;
    int64_t items;
  };
  std::vector<std::vector<Call>> kernels(plan.kernelNames.size());
  for (size_t s = 0; s < plan.stages.size(); ++s) {
    const Stage &stage = plan.stages[s];
    switch (stage.kind) {
    case StageKind::Loop:
    case StageKind::ConcatPart:
    case StageKind::Reduce: {
      KernelFunction kf(ec, stage.name, s);
      LoopNest nest = buildLoopNest(graph, plan, s);
      emitLoopNest(ec, kf, nest);
      kernels[stage.kernel].push_back({kf.launcher(), nest.items});
      break;
    }
    case StageKind::Matmul:
    case StageKind::Conv2d:
    case StageKind::Conv2dInputGrad:
    case StageKind::Conv2dFilterGrad:
    case StageKind::SumChunks:
    case StageKind::PackFilter:
    case StageKind::MaxPool2d:
    case StageKind::MaxPool2dGrad:
    case StageKind::AvgPool2d:
    case StageKind::AvgPool2dGrad:
    case StageKind::AllReduce: {
      // An elementwise stage right after it may run inside it, item by item.
      std::optional<LoopNest> next;
      std::optional<Epilogue> epilogue;
      if (s + 1 < plan.stages.size() && plan.stages[s + 1].kind == StageKind::Loop &&
          plan.stages[s + 1].kernel == stage.kernel) {
        next = buildLoopNest(graph, plan, s + 1);
        epilogue = epilogueFor(ec, s, *next);
      }
      std::string name = stage.name + (epilogue ? "+" + plan.stages[s + 1].name : "");
      KernelFunction kf(ec, name, s);
      emitKernelCall(ec, kf, stage, epilogue);
      kernels[stage.kernel].push_back({kf.launcher(), stage.items});
      if (epilogue)
        ++s;
      break;
    }
    }
  }
  out.kernelNames = plan.kernelNames;
  for (const std::vector<Call> &calls : kernels)
    out.stages.push_back(calls.size());

  // The entry: ctx = {args, arena}; each kernel's stages over their items; the final
  // copies.
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
  FunctionCallee waited = ec.function("kiln_profile_waited", Type::getVoidTy(*out.context), {});
  FunctionCallee wait =
      ec.function("kiln_all_reduce_wait", Type::getVoidTy(*out.context), {ec.i64()});
  // Waiting for all_reduce buckets is timed apart from the kernels.
  auto waitFor = [&](const std::vector<int64_t> &buckets) {
    for (int64_t bucket : buckets)
      b.CreateCall(wait, {ConstantInt::get(ec.i64(), bucket)});
    if (plan.options.profile && !buckets.empty())
      b.CreateCall(waited, {});
  };
  for (size_t k = 0; k < kernels.size(); ++k) {
    if (plan.options.profile)
      b.CreateCall(mark, {ConstantInt::get(ec.i64(), int64_t(k))});
    waitFor(plan.waitsBefore[k]);
    for (auto [launcher, items] : kernels[k]) {
      if (items > 1 && plan.options.workers > 1)
        b.CreateCall(parallelFor, {launcher, ctx, ConstantInt::get(ec.i64(), items), workers});
      else
        b.CreateCall(launcher, {ctx, ConstantInt::get(ec.i64(), 0),
                                ConstantInt::get(ec.i64(), items), ConstantInt::get(ec.i64(), 0)});
    }
  }
  if (plan.options.profile)
    b.CreateCall(mark, {ConstantInt::get(ec.i64(), int64_t(kernels.size()))});
  waitFor(plan.waitsAtEnd);
  for (const FinalCopy &copy : plan.copies) {
    const Storage &st = copy.from;
    Value *source = nullptr;
    switch (st.kind) {
    case StorageKind::Argument:
      source = b.CreateLoad(ec.ptr(), b.CreateConstInBoundsGEP1_64(ec.ptr(), args, st.slot));
      break;
    case StorageKind::Arena:
      source = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), arena, st.offset);
      break;
    case StorageKind::Global:
      source = ec.globals.at(st.global);
      break;
    case StorageKind::Virtual:
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
