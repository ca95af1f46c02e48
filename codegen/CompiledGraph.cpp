// CompiledGraph: lowerStep -> module -> (disk cache | O3 + machine code) -> kiln_step.
#include "kiln/codegen/CompiledGraph.h"

#include "kiln/codegen/JitEngine.h"
#include "kiln/codegen/ModuleEmitter.h"
#include "kiln/codegen/ObjectCache.h"
#include "kiln/codegen/Pipeline.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/MemoryNeeds.h"
#include "kiln/passes/PassManager.h"
#include "kiln/runtime/Memory.h"
#include "kiln/runtime/ThreadPool.h"

#include <fmt/format.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include <chrono>
#include <cstdlib>
#include <malloc.h>
#include <mutex>
#include <string_view>

namespace kiln::codegen {

namespace {

/// Bumped when JitEngine's pipeline changes in a way the emitted IR does not show.
constexpr const char *kPipelineVersion = "kiln-jit-pipeline-1";

using StepFn = int32_t(void **, uint8_t *);

std::string print(const llvm::Module &module) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  module.print(stream, nullptr);
  return text;
}

void checkArguments(const Graph &graph, const std::vector<ValueId> &ids,
                    std::span<const Tensor> given, const char *what) {
  if (given.size() != ids.size())
    fail("graph @{} has {} {}s, got {} tensors", graph.name(), ids.size(), what, given.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const Node &node = graph.node(ids[i]);
    if (!given[i].defined())
      fail("{} '{}' of graph @{}: the tensor has no storage", what, node.name, graph.name());
    if (given[i].type() != node.type)
      fail("{} '{}' of graph @{} expects {}, got {}", what, node.name, graph.name(),
           node.type.str(), given[i].type().str());
  }
}

/// Keeps freed memory in the process instead of handing it back to the kernel: a step
/// returns fresh output and update tensors and the previous ones die, so with glibc's
/// defaults every large tensor (above the trim threshold) is new address space whose
/// pages fault in on first write -- about 0.8 ms per MB on the development machine, more
/// than the kernels writing them. Process-wide, set once, before the first step.
void keepFreedMemory() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
}

/// Appends the time since the previous lap (or construction) to a phase list.
class PhaseClock {
public:
  explicit PhaseClock(std::vector<PhaseTime> &phases) : phases_(phases) {}
  void lap(std::string step) {
    auto now = std::chrono::steady_clock::now();
    phases_.push_back({std::move(step), std::chrono::duration<double, std::milli>(now - last_).count()});
    last_ = now;
  }

private:
  std::vector<PhaseTime> &phases_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

/// The pipeline up to the stages, for `options`.
std::unique_ptr<LoweredStep> lower(const Graph &graph, const JitOptions &options) {
  LowerOptions lowering;
  lowering.target = planOptions(options);
  lowering.optimizeGraph = options.optimizeGraph;
  return lowerStep(graph, lowering);
}

} // namespace

struct CompiledGraph::Code {
  std::unique_ptr<JitCode> code;
  StepFn *step = nullptr;
  std::byte *arena = nullptr;
  ~Code() { std::free(arena); }
};

CompiledGraph::~CompiledGraph() = default;

std::string CompileStats::phaseSummary() const {
  std::string text;
  for (const PhaseTime &phase : phases)
    text += fmt::format("{}{} {:.0f}", text.empty() ? "" : ", ", phase.step, phase.milliseconds);
  return text + " ms";
}

std::unique_ptr<CompiledGraph> CompiledGraph::compile(Graph graph, const JitOptions &options) {
  auto start = std::chrono::steady_clock::now();
  keepFreedMemory();
  std::unique_ptr<CompiledGraph> compiled(new CompiledGraph());
  compiled->graph_ = std::move(graph);
  const Graph &g = compiled->graph_;
  JitEngine &engine = JitEngine::global();

  CompileStats &stats = compiled->stats_;
  std::unique_ptr<LoweredStep> lowered = lower(g, options);
  stats.phases = lowered->phases;
  PhaseClock clock(stats.phases);
  const StepPlan &plan = lowered->stages;
  requireMemory(plan.arenaBytes + interfaceBytes(g), fmt::format("graph @{}", g.name()));
  EmittedModule emitted = emitModule(lowered->graph, plan);
  std::vector<std::string> kernelNames = emitted.kernelNames;
  size_t kernelBodies = emitted.bodies;
  engine.configureModule(*emitted.module);
  clock.lap("emit-llvm");
  std::string key = ObjectCache::key(
      *emitted.module, std::string(kPipelineVersion) + "\n" + LLVM_VERSION_STRING);
  clock.lap("cache-key");
  ObjectCache cache(options.useCache ? (options.cacheDir.empty() ? ObjectCache::defaultDirectory()
                                                                 : options.cacheDir)
                                     : std::filesystem::path());
  auto code = std::make_unique<Code>();
  stats.cacheKey = key;
  if (!options.dumpIr) {
    if (std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects = cache.load(key);
        !objects.empty()) {
      // A damaged entry (a crash while writing, a full disk) is a miss, not an error.
      try {
        code->code = engine.addObjects(std::move(objects));
        code->step = code->code->lookup<StepFn>(kStepSymbol);
        stats.cacheHit = true;
        clock.lap("cache-load");
      } catch (const Error &) {
        code->code.reset();
        code->step = nullptr;
      }
    }
  }
  if (!code->step) {
    CompileHooks hooks;
    if (options.dumpIr)
      hooks.onIr = [&](std::string before, std::string after) {
        compiled->irBefore_ = std::move(before);
        compiled->irAfter_ = std::move(after);
      };
    if (cache.enabled())
      hooks.onObjects = [&](std::vector<std::string> objects) { cache.store(key, objects); };
    code->code =
        engine.addModule(std::move(emitted.context), std::move(emitted.module), std::move(hooks));
    try {
      code->step = code->code->lookup<StepFn>(kStepSymbol); // compiles; runs the hooks
    } catch (const Error &e) {
      fail("{} (graph @{})", e.what(), g.name());
    }
    clock.lap("optimize");
  }
  size_t bytes = static_cast<size_t>(libjit::roundUp(std::max<int64_t>(plan.arenaBytes, 64), 64));
  code->arena = static_cast<std::byte *>(std::aligned_alloc(64, bytes));
  if (!code->arena)
    fail("JIT: cannot allocate the {}-byte arena of graph @{}", bytes, g.name());
  compiled->code_ = std::move(code);

  if (plan.options.profile) {
    compiled->profile_ = std::make_unique<KernelProfile>();
    compiled->profile_->names = kernelNames;
    compiled->profile_->seconds.assign(kernelNames.size(), 0.0);
  }
  stats.arenaBytes = plan.arenaBytes;
  stats.kernels = kernelNames.size();
  stats.stages = plan.stages.size();
  stats.kernelBodies = kernelBodies;
  stats.host = hostTarget().describe();
  stats.workers = plan.options.workers;
  stats.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return compiled;
}

CompiledGraph::Result CompiledGraph::run(std::span<const Tensor> inputs,
                                         std::span<const Tensor> state) {
  const Graph &g = graph_;
  checkArguments(g, g.inputs(), inputs, "input");
  checkArguments(g, g.states(), state, "state");
  Result result;
  std::vector<void *> args;
  for (const Tensor &t : inputs)
    args.push_back(const_cast<std::byte *>(t.raw())); // JIT code never writes them
  for (const Tensor &t : state)
    args.push_back(const_cast<std::byte *>(t.raw()));
  for (const Output &o : g.outputs()) {
    result.outputs.push_back(Tensor::uninitialized(g.type(o.value))); // the step writes all
    args.push_back(result.outputs.back().raw());
  }
  for (const Update &u : g.updates()) {
    result.updates.push_back(Tensor::uninitialized(g.type(u.value)));
    args.push_back(result.updates.back().raw());
  }
  std::lock_guard lock(mutex_);
  if (profile_) {
    setCurrentProfile(profile_.get());
    ++profile_->runs;
  }
  int32_t status = code_->step(args.data(), reinterpret_cast<uint8_t *>(code_->arena));
  if (profile_)
    setCurrentProfile(nullptr);
  if (status != 0)
    fail("JIT: the step of graph @{} returned status {}", g.name(), status);
  return result;
}

std::string llvmIr(const Graph &source, bool optimized, const JitOptions &options) {
  std::unique_ptr<LoweredStep> lowered = lower(source, options);
  EmittedModule emitted = emitModule(lowered->graph, lowered->stages);
  JitEngine &engine = JitEngine::global();
  if (optimized)
    engine.optimize(*emitted.module);
  else
    engine.configureModule(*emitted.module);
  return describeStages(lowered->graph, lowered->stages) + print(*emitted.module);
}

std::string assembly(const Graph &source, const JitOptions &options) {
  std::unique_ptr<LoweredStep> lowered = lower(source, options);
  EmittedModule emitted = emitModule(lowered->graph, lowered->stages);
  JitEngine &engine = JitEngine::global();
  engine.optimize(*emitted.module);
  return engine.assembly(*emitted.module);
}

} // namespace kiln::codegen
