// JitEngine on ORC v2 (the shape of Kaleidoscope's BuildingAJIT/Chapter1):
//   1. JITTargetMachineBuilder::detectHost(), with the CPU name and features from
//      llvm::sys, aggressive codegen; an LLJIT without process symbols or platform.
//   2. A "kiln.runtime" JITDylib holding the allow-list: kiln_parallel_for and the libc
//      memory functions as absoluteSymbols, and a generator defining any C maths
//      function LLVM may call (libm, glibc's vector variants in libmvec, libgcc's powi)
//      on first reference (MathSymbols.h). Link failures reach the caller as kiln::Error
//      naming the symbol, not as text ORC prints to stderr.
//   3. The IR transform layer runs the new pass manager's O3 pipeline with the host
//      TargetMachine and libmvec as the vector library, dumping IR around it on request.
//   4. Each graph gets a JITDylib (linked against the runtime) and a ResourceTracker;
//      its module is split into one part per compile thread (ModuleSplit.h), each cloned
//      into its own LLVMContext, and the first lookup asks for a symbol of every part
//      at once, so ORC optimizes and compiles the parts concurrently. Compiled objects
//      reach the caller (the disk cache) through the compiler's ObjectCache hook.
#include "kiln/codegen/JitEngine.h"

#include "kiln/codegen/MathSymbols.h"
#include "kiln/codegen/ModuleEmitter.h"
#include "kiln/codegen/ModuleSplit.h"
#include "kiln/codegen/Profile.h"
#include "kiln/ir/Error.h"
#include "kiln/runtime/BucketedAllReduce.h"
#include "kiln/runtime/ThreadPool.h"

#include <llvm/ADT/SmallString.h>
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace kiln::codegen {

namespace {

using namespace llvm;
using namespace llvm::orc;
using llvm::Error; // not kiln::Error

template <typename T> T unwrap(Expected<T> value, const char *what) {
  if (!value)
    fail("JIT: {}: {}", what, llvm::toString(value.takeError()));
  return std::move(*value);
}

void check(Error error, const char *what) {
  if (error)
    fail("JIT: {}: {}", what, llvm::toString(std::move(error)));
}

void initializeNativeTarget() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = !InitializeNativeTarget() && !InitializeNativeTargetAsmPrinter() &&
         !InitializeNativeTargetAsmParser();
  });
  if (!ok)
    fail("JIT: LLVM has no native target for this host");
}

HostTarget detectHost() {
  HostTarget host;
  host.triple = sys::getProcessTriple();
  host.cpu = sys::getHostCPUName().str();
  std::vector<std::string> features;
  bool avx2 = false, fma = false, avx512 = false;
  for (const auto &[name, enabled] : sys::getHostCPUFeatures()) {
    features.push_back((enabled ? "+" : "-") + name.str());
    avx2 |= enabled && name == "avx2";
    fma |= enabled && name == "fma";
    avx512 |= enabled && name == "avx512f";
  }
  std::sort(features.begin(), features.end());
  for (const std::string &f : features)
    host.features += (host.features.empty() ? "" : ",") + f;
  host.isa = avx512 ? libjit::Isa::Avx512 : avx2 && fma ? libjit::Isa::Avx2 : libjit::Isa::Generic;
  return host;
}

/// Routes each compiled object to the hooks of the module it came from.
class HookedObjectCache : public llvm::ObjectCache {
public:
  void add(const std::string &module, std::function<void(MemoryBufferRef)> onObject) {
    std::lock_guard lock(mutex_);
    hooks_[module] = std::move(onObject);
  }
  void notifyObjectCompiled(const Module *module, MemoryBufferRef object) override {
    std::function<void(MemoryBufferRef)> hook;
    {
      std::lock_guard lock(mutex_);
      auto it = hooks_.find(module->getModuleIdentifier());
      if (it == hooks_.end())
        return;
      hook = std::move(it->second);
      hooks_.erase(it);
    }
    hook(object);
  }
  std::unique_ptr<MemoryBuffer> getObject(const Module *) override { return nullptr; }

private:
  std::mutex mutex_;
  std::map<std::string, std::function<void(MemoryBufferRef)>> hooks_;
};

/// The runtime symbols JIT code may call, by name: the thread pool, the profiler, the
/// bucketed all_reduce and the libc memory functions. The maths library comes from
/// MathSymbolGenerator. Nothing else from the process is visible to JIT code.
SymbolMap runtimeSymbols(MangleAndInterner &mangle) {
  SymbolMap symbols;
  auto define = [&](const char *name, const void *address) {
    symbols[mangle(name)] = {ExecutorAddr::fromPtr(address), JITSymbolFlags::Exported};
  };
  define("kiln_parallel_for", reinterpret_cast<const void *>(&kiln_parallel_for));
  define("kiln_profile_mark", reinterpret_cast<const void *>(&kiln_profile_mark));
  define("kiln_profile_waited", reinterpret_cast<const void *>(&kiln_profile_waited));
  define("kiln_all_reduce_start", reinterpret_cast<const void *>(&kiln_all_reduce_start));
  define("kiln_all_reduce_wait", reinterpret_cast<const void *>(&kiln_all_reduce_wait));
  define("memcpy", reinterpret_cast<const void *>(&::memcpy));
  define("memmove", reinterpret_cast<const void *>(&::memmove));
  define("memset", reinterpret_cast<const void *>(&::memset));
  return symbols;
}

/// Defines, on first reference, any maths function mathSymbol() allows: whatever libm,
/// libmvec or libgcc function LLVM turned the emitted maths into (MathSymbols.h).
class MathSymbolGenerator : public DefinitionGenerator {
public:
  Error tryToGenerate(LookupState &, LookupKind, JITDylib &dylib, JITDylibLookupFlags,
                      const SymbolLookupSet &names) override {
    SymbolMap found;
    for (const auto &[name, flags] : names)
      if (const void *address = mathSymbol(*name))
        found[name] = {ExecutorAddr::fromPtr(address), JITSymbolFlags::Exported};
    if (found.empty())
      return Error::success();
    return dylib.define(absoluteSymbols(std::move(found)));
  }
};

/// What went wrong while the calling thread's lookup materialized code. ORC reports a
/// failed link (a symbol outside the allow-list) to the session's error reporter, which
/// by default prints it to stderr, while the lookup itself only fails with "Failed to
/// materialize symbols"; the reporter keeps it here instead, so the kiln::Error can say
/// it. Materialization runs on the compile threads, hence the lock (two graphs failing
/// to link at the same moment would see each other's reasons too).
std::mutex sessionErrorsMutex;
std::vector<std::string> sessionErrors;

void reportSessionError(std::string error) {
  std::lock_guard lock(sessionErrorsMutex);
  sessionErrors.push_back(std::move(error));
}

std::vector<std::string> takeSessionErrors() {
  std::lock_guard lock(sessionErrorsMutex);
  return std::exchange(sessionErrors, {});
}

bool perfMapRequested() {
  const char *value = std::getenv("KILN_JIT_PERF_MAP");
  return value && *value && std::string_view(value) != "0";
}

/// Appends every function JITLink places to /tmp/perf-<pid>.map, so `perf report` names
/// kernels (KILN_JIT_PERF_MAP=1).
class PerfMapPlugin : public ObjectLinkingLayer::Plugin {
public:
  static Error write(jitlink::LinkGraph &graph) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::string path = fmt::format("/tmp/perf-{}.map", getpid());
    if (FILE *file = std::fopen(path.c_str(), "a")) {
      for (jitlink::Symbol *symbol : graph.defined_symbols())
        if (symbol->hasName() && symbol->isCallable())
          std::fprintf(file, "%llx %llx %s\n",
                       static_cast<unsigned long long>(symbol->getAddress().getValue()),
                       static_cast<unsigned long long>(symbol->getSize()),
                       symbol->getName().str().c_str());
      std::fclose(file);
    }
    return Error::success();
  }

  void modifyPassConfig(MaterializationResponsibility &, jitlink::LinkGraph &,
                        jitlink::PassConfiguration &config) override {
    config.PostFixupPasses.emplace_back(&PerfMapPlugin::write);
  }
  Error notifyFailed(MaterializationResponsibility &) override { return Error::success(); }
  Error notifyRemovingResources(JITDylib &, ResourceKey) override { return Error::success(); }
  void notifyTransferringResources(JITDylib &, ResourceKey, ResourceKey) override {}
};

class OrcJitCode : public JitCode {
public:
  /// `parts`: a symbol of every part of the module, asked for together on the first
  /// lookup so that ORC compiles the parts at the same time.
  OrcJitCode(LLJIT &jit, JITDylib &dylib, ResourceTrackerSP tracker,
             std::vector<std::string> parts = {})
      : jit_(jit), dylib_(dylib), tracker_(std::move(tracker)), parts_(std::move(parts)) {}
  ~OrcJitCode() override {
    // Errors here would mean LLVM lost track of the code; there is no one to tell.
    consumeError(tracker_->remove());
    consumeError(jit_.getExecutionSession().removeJITDylib(dylib_));
  }
  void *lookup(std::string_view symbol) override {
    takeSessionErrors();
    if (!parts_.empty()) {
      ExecutionSession &session = jit_.getExecutionSession();
      SymbolLookupSet names;
      for (const std::string &name : parts_)
        names.add(session.intern(name));
      parts_.clear();
      if (auto compiled = session.lookup(makeJITDylibSearchOrder(&dylib_), std::move(names));
          !compiled)
        linkFailure(symbol, llvm::toString(compiled.takeError()));
    }
    Expected<ExecutorAddr> address = jit_.lookup(dylib_, StringRef(symbol.data(), symbol.size()));
    if (!address)
      linkFailure(symbol, llvm::toString(address.takeError()));
    return address->toPtr<void *>();
  }

  /// The session's own errors say why a lookup failed (a missing symbol names it).
  [[noreturn]] void linkFailure(std::string_view symbol, const std::string &lookupError) {
    std::string why;
    for (const std::string &e : takeSessionErrors())
      why += (why.empty() ? "" : "; ") + e;
    if (why.empty())
      fail("JIT: cannot link {}: {}", symbol, lookupError);
    if (why.find("Symbols not found") != std::string::npos)
      why += "; JIT code may call only kiln's runtime, the libc memory functions and the C "
             "maths library";
    fail("JIT: cannot link {}: {}", symbol, why);
  }

private:
  LLJIT &jit_;
  JITDylib &dylib_;
  ResourceTrackerSP tracker_;
  std::vector<std::string> parts_;
};

/// Gathers the objects of a module's parts, compiled on different threads, and hands
/// them on together once the last one arrives.
struct ObjectCollector {
  std::mutex mutex;
  std::vector<std::string> objects;
  size_t missing;
  std::function<void(std::vector<std::string>)> done;
  void add(size_t part, MemoryBufferRef object) {
    std::lock_guard lock(mutex);
    objects[part] = object.getBuffer().str();
    if (--missing == 0 && done)
      done(std::move(objects));
  }
};

/// $KILN_COMPILE_THREADS, else the cores.
int compileThreads() {
  if (const char *value = std::getenv("KILN_COMPILE_THREADS"); value && *value)
    return std::clamp(std::atoi(value), 1, 64);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

/// A global function the object defines (to ask ORC for every part of a step at once).
std::string firstExportedFunction(const MemoryBuffer &buffer) {
  auto file = unwrap(object::ObjectFile::createObjectFile(buffer.getMemBufferRef()),
                     "reading a cached object");
  for (const object::SymbolRef &symbol : file->symbols()) {
    uint32_t flags = unwrap(symbol.getFlags(), "reading a cached object's symbols");
    if ((flags & object::SymbolRef::SF_Global) && !(flags & object::SymbolRef::SF_Undefined) &&
        unwrap(symbol.getType(), "reading a cached object's symbols") ==
            object::SymbolRef::ST_Function)
      return unwrap(symbol.getName(), "reading a cached object's symbols").str();
  }
  fail("JIT: a cached object defines no function");
}

class OrcJitEngine : public JitEngine {
public:
  OrcJitEngine() {
    initializeNativeTarget();
    const HostTarget &host = hostTarget();
    JITTargetMachineBuilder builder = unwrap(JITTargetMachineBuilder::detectHost(), "host");
    builder.setCPU(host.cpu);
    SubtargetFeatures features;
    for (const auto &[name, enabled] : sys::getHostCPUFeatures())
      features.AddFeature(name, enabled);
    builder.getFeatures() = features;
    builder.setCodeGenOptLevel(CodeGenOptLevel::Aggressive);
    // JITLink places a module's sections together and reaches runtime symbols through
    // stubs, so the small code model (direct calls, RIP-relative constants) is safe.
    builder.setCodeModel(CodeModel::Small);
    builder.setRelocationModel(Reloc::PIC_); // JIT memory may sit anywhere in the address space
    targetMachine_ = unwrap(builder.createTargetMachine(), "creating the target machine");
    machineBuilder_ = builder;

    jit_ = unwrap(LLJITBuilder()
                      .setJITTargetMachineBuilder(builder)
                      .setLinkProcessSymbolsByDefault(false)
                      .setNumCompileThreads(compileThreads_)
                      .setPlatformSetUp(setUpInactivePlatform)
                      .setObjectLinkingLayerCreator([](ExecutionSession &session, const Triple &)
                                                        -> Expected<std::unique_ptr<ObjectLayer>> {
                        auto layer = std::make_unique<ObjectLinkingLayer>(session);
                        if (perfMapRequested())
                          layer->addPlugin(std::make_unique<PerfMapPlugin>());
                        return layer;
                      })
                      .setCompileFunctionCreator(
                          [this](JITTargetMachineBuilder jtmb)
                              -> Expected<std::unique_ptr<IRCompileLayer::IRCompiler>> {
                            return std::make_unique<ConcurrentIRCompiler>(std::move(jtmb),
                                                                          &objectCache_);
                          })
                      .create(),
                  "creating the LLJIT");

    ExecutionSession &session = jit_->getExecutionSession();
    session.setErrorReporter(
        [](Error error) { reportSessionError(llvm::toString(std::move(error))); });
    runtime_ = &session.createBareJITDylib("kiln.runtime");
    MangleAndInterner mangle(session, jit_->getDataLayout());
    check(runtime_->define(absoluteSymbols(runtimeSymbols(mangle))),
          "defining the runtime symbols");
    runtime_->addGenerator(std::make_unique<MathSymbolGenerator>());
    vectorMath_ = haveVectorMath();

    jit_->getIRTransformLayer().setTransform(
        [this](ThreadSafeModule module,
               MaterializationResponsibility &) -> Expected<ThreadSafeModule> {
          module.withModuleDo([&](Module &m) { optimizeWithDump(m); });
          return module;
        });
  }

  std::unique_ptr<JitCode> addModule(std::unique_ptr<LLVMContext> context,
                                     std::unique_ptr<Module> module, CompileHooks hooks) override {
    std::string id = fmt::format("kiln.module.{}", nextId());
    module->setModuleIdentifier(id);
    configureModule(*module);
    // The IR dump shows one module: compile it whole then.
    ModuleParts parts = splitModule(*module, hooks.onIr ? 1 : compileThreads_, kStepSymbol);
    if (hooks.onIr) {
      std::lock_guard lock(mutex_);
      irHooks_[id] = std::move(hooks.onIr);
    }
    auto [dylib, tracker] = newDylib();
    if (parts.size() == 1) {
      if (hooks.onObjects)
        objectCache_.add(id, [done = std::move(hooks.onObjects)](MemoryBufferRef object) {
          done({object.getBuffer().str()});
        });
      check(jit_->addIRModule(tracker, ThreadSafeModule(std::move(module), std::move(context))),
            "adding the module");
      return std::make_unique<OrcJitCode>(*jit_, *dylib, tracker);
    }
    auto collector = std::make_shared<ObjectCollector>();
    collector->objects.resize(parts.size());
    collector->missing = parts.size();
    collector->done = std::move(hooks.onObjects);
    std::vector<std::string> symbols;
    ThreadSafeModule whole(std::move(module), std::move(context));
    for (size_t p = 0; p < parts.size(); ++p) {
      const auto &defined = parts[p];
      ThreadSafeModule part = cloneToNewContext(
          whole, [&](const GlobalValue &gv) { return defined.count(&gv) > 0; });
      std::string partId = fmt::format("{}.part{}", id, p);
      part.withModuleDo([&](Module &m) { m.setModuleIdentifier(partId); });
      for (const GlobalValue *gv : defined)
        if (!gv->hasLocalLinkage() && isa<Function>(gv)) {
          symbols.push_back(gv->getName().str());
          break;
        }
      if (collector->done)
        objectCache_.add(partId, [collector, p](MemoryBufferRef object) {
          collector->add(p, object);
        });
      check(jit_->addIRModule(tracker, std::move(part)), "adding a module part");
    }
    return std::make_unique<OrcJitCode>(*jit_, *dylib, tracker, std::move(symbols));
  }

  std::unique_ptr<JitCode>
  addObjects(std::vector<std::unique_ptr<MemoryBuffer>> objects) override {
    auto [dylib, tracker] = newDylib();
    std::vector<std::string> symbols;
    for (std::unique_ptr<MemoryBuffer> &object : objects) {
      if (objects.size() > 1)
        symbols.push_back(firstExportedFunction(*object));
      check(jit_->addObjectFile(tracker, std::move(object)), "adding a cached object");
    }
    return std::make_unique<OrcJitCode>(*jit_, *dylib, tracker, std::move(symbols));
  }

  void optimize(Module &module) override {
    configureModule(module);
    runO3(module);
  }

  std::string assembly(Module &module) override {
    configureModule(module);
    SmallString<0> text;
    raw_svector_ostream stream(text);
    legacy::PassManager passes;
    std::lock_guard lock(mutex_); // the TargetMachine is shared
    if (targetMachine_->addPassesToEmitFile(passes, stream, nullptr, CodeGenFileType::AssemblyFile))
      fail("JIT: the host target cannot emit assembly");
    passes.run(module);
    return text.str().str();
  }

  void configureModule(Module &module) override {
    const HostTarget &host = hostTarget();
    module.setTargetTriple(host.triple);
    module.setDataLayout(jit_->getDataLayout());
    for (Function &f : module) {
      if (f.isDeclaration())
        continue;
      // JITLink keeps no names of local functions; make them global for the perf map.
      if (perfMapRequested() && f.hasLocalLinkage())
        f.setLinkage(GlobalValue::ExternalLinkage);
      f.addFnAttr("target-cpu", host.cpu);
      f.addFnAttr("tune-cpu", host.cpu);
      f.addFnAttr("target-features", host.features);
    }
  }

private:
  std::pair<JITDylib *, ResourceTrackerSP> newDylib() {
    ExecutionSession &session = jit_->getExecutionSession();
    JITDylib &dylib = session.createBareJITDylib(fmt::format("kiln.dylib.{}", nextId()));
    dylib.addToLinkOrder(*runtime_);
    return {&dylib, dylib.createResourceTracker()};
  }

  uint64_t nextId() {
    std::lock_guard lock(mutex_);
    return ++counter_;
  }

  void optimizeWithDump(Module &module) {
    std::function<void(std::string, std::string)> hook;
    {
      std::lock_guard lock(mutex_);
      auto it = irHooks_.find(module.getModuleIdentifier());
      if (it != irHooks_.end()) {
        hook = std::move(it->second);
        irHooks_.erase(it);
      }
    }
    std::string before = hook ? print(module) : std::string();
    runO3(module);
    if (hook)
      hook(std::move(before), print(module));
  }

  static std::string print(const Module &module) {
    std::string text;
    raw_string_ostream stream(text);
    module.print(stream, nullptr);
    return text;
  }

  /// O3 with a TargetMachine of its own: parts are optimized on several threads.
  void runO3(Module &module) {
    std::unique_ptr<TargetMachine> machine;
    {
      std::lock_guard lock(mutex_);
      machine = unwrap(machineBuilder_.createTargetMachine(), "creating a target machine");
    }
    LoopAnalysisManager loops;
    FunctionAnalysisManager functions;
    CGSCCAnalysisManager sccs;
    ModuleAnalysisManager modules;
    PipelineTuningOptions tuning;
    tuning.LoopVectorization = true;
    tuning.SLPVectorization = true;
    PassBuilder builder(machine.get(), tuning);
    Triple triple(module.getTargetTriple());
    TargetLibraryInfoImpl library(triple);
    if (triple.isX86() && vectorMath_) {
      library.addVectorizableFunctionsFromVecLib(TargetLibraryInfoImpl::LIBMVEC_X86, triple);
      // glibc 2.35's libmvec also has tanh, which LLVM 19's table lacks: without it a
      // loop that computes a tanh (an LSTM step's) stays scalar, all of it. SSE and AVX2
      // widths only, as LLVM's own entries: an AVX-512 variant would be chosen on
      // machines without AVX-512 too.
      static const VecDesc kTanh[] = {
          {"tanhf", "_ZGVbN4v_tanhf", ElementCount::getFixed(4), false, "_ZGV_LLVM_N4v"},
          {"tanhf", "_ZGVdN8v_tanhf", ElementCount::getFixed(8), false, "_ZGV_LLVM_N8v"},
          {"tanh", "_ZGVbN2v_tanh", ElementCount::getFixed(2), false, "_ZGV_LLVM_N2v"},
          {"tanh", "_ZGVdN4v_tanh", ElementCount::getFixed(4), false, "_ZGV_LLVM_N4v"},
      };
      library.addVectorizableFunctions(kTanh);
    }
    functions.registerPass([&] { return TargetLibraryAnalysis(library); });
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(sccs);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, sccs, modules);
    ModulePassManager pipeline = builder.buildPerModuleDefaultPipeline(OptimizationLevel::O3);
    pipeline.run(module, modules);
  }

  /// Compile threads: the cores (a module is split into this many parts).
  int compileThreads_ = compileThreads();
  JITTargetMachineBuilder machineBuilder_{Triple()};
  std::unique_ptr<TargetMachine> targetMachine_; ///< for `assembly` (under mutex_)
  HookedObjectCache objectCache_;
  std::unique_ptr<LLJIT> jit_;
  JITDylib *runtime_ = nullptr;
  bool vectorMath_ = false; ///< libmvec is loaded: the vectorizer may call it
  std::mutex mutex_;
  std::map<std::string, std::function<void(std::string, std::string)>> irHooks_;
  uint64_t counter_ = 0;
};

} // namespace

std::string HostTarget::describe() const {
  const char *isaName = isa == libjit::Isa::Avx512 ? "avx512"
                        : isa == libjit::Isa::Avx2 ? "avx2"
                                                   : "generic";
  return fmt::format("{} ({})", cpu, isaName);
}

const HostTarget &hostTarget() {
  static const HostTarget host = detectHost();
  return host;
}

JitEngine &JitEngine::global() {
  static std::mutex mutex;
  static std::unique_ptr<JitEngine> engine;
  std::lock_guard lock(mutex);
  if (!engine)
    engine = std::make_unique<OrcJitEngine>();
  return *engine;
}

} // namespace kiln::codegen
