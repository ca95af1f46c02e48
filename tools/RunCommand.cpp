// `kiln run FILE`: run any textual graph on the interpreter or the JIT, on inputs and
// state given by name in a safetensors file (--inputs) or, for the rest, seeded random
// inputs and the states' initialisers.
#include "kiln/codegen/CompiledGraph.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/MemoryNeeds.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Verifier.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/Memory.h"
#include "kiln/runtime/Random.h"
#include "kiln/runtime/ThreadPool.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/io/Safetensors.h"
#include "tools/Command.h"
#include "tools/Files.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::cli {
namespace {

/// Values for an input that are valid for every use of it: indices below the smallest
/// one_hot depth, positive numbers where a log or root is taken.
Tensor randomInput(const Graph &graph, ValueId id, uint64_t seed) {
  const Node &node = graph.node(id);
  int64_t intLimit = 10;
  bool positive = false;
  for (const Node &user : graph.nodes()) {
    if (std::find(user.operands.begin(), user.operands.end(), id) == user.operands.end())
      continue;
    if (user.op == OpKind::OneHot)
      intLimit = std::min(intLimit, user.attrs.getInt("depth"));
    if (user.op == OpKind::Log || user.op == OpKind::Sqrt || user.op == OpKind::Rsqrt ||
        (user.op == OpKind::Pow && user.operands[0] == id))
      positive = true;
  }
  Tensor t(node.type);
  uint64_t stream = std::hash<std::string>{}(node.name);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double u = uniformFloat(seed, stream, static_cast<uint64_t>(i));
    switch (node.type.dtype) {
    case DType::F32:
    case DType::F64:
      t.set(i, positive ? 0.1 + u : 2 * u - 1);
      break;
    case DType::I32:
      t.set(i, std::floor(u * static_cast<double>(intLimit)));
      break;
    case DType::Bool:
      t.set(i, u < 0.5);
      break;
    }
  }
  return t;
}

void printStats(const std::string &label, const Tensor &t) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  int64_t n = t.numElements();
  for (int64_t i = 0; i < n; ++i) {
    double v = t.at(i);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  std::string head;
  for (int64_t i = 0; i < std::min<int64_t>(n, 4); ++i)
    head += fmt::format("{}{:.6g}", i ? ", " : "", t.at(i));
  if (n > 4)
    head += ", ...";
  if (n == 0)
    fmt::print("{:<24} {:<18} (empty)\n", label, t.type().str());
  else
    fmt::print("{:<24} {:<18} min {:<12.6g} max {:<12.6g} mean {:<12.6g} [{}]\n", label,
               t.type().str(), lo, hi, sum / static_cast<double>(n), head);
}

class RunCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand(
        "run", "Run a textual graph on the interpreter or the JIT with seeded random inputs and "
               "state");
    sub->add_option("FILE", file_, "graph text file ('-' for stdin)")->required();
    sub->add_option("--seed", seed_, "seed for inputs and state")
        ->capture_default_str()
        ->check(SeedValue);
    sub->add_option("--inputs", inputs_,
                    "a .safetensors file of inputs and state by name (the others are random or "
                    "initialised)");
    sub->add_option("--out", out_, "write outputs and updated state to this .safetensors file");
    sub->add_option("--backend", backend_, "interp | jit")
        ->capture_default_str()
        ->check(CLI::IsMember({"interp", "jit"}));
    addThreadsOption(sub);
    return sub;
  }

  int run() override {
    Graph graph = parseGraph(readTextFile(file_), file_);
    verify(graph);
    // Before the inputs are made: the JIT checks its arena again when it compiles.
    requireMemory(backend_ == "jit" ? interfaceBytes(graph) : peakLiveBytes(graph),
                  fmt::format("graph @{}", graph.name()));
    SafetensorsFile given;
    if (!inputs_.empty())
      given = readGivenValues(graph);
    std::vector<Tensor> inputs, state;
    for (ValueId id : graph.inputs()) {
      const Tensor *value = given.find(graph.node(id).name);
      inputs.push_back(value ? *value : randomInput(graph, id, seed_));
    }
    for (ValueId id : graph.states()) {
      const Tensor *value = given.find(graph.node(id).name);
      state.push_back(value                              ? *value
                      : graph.node(id).attrs.has("init") ? initialState(graph, id, seed_)
                                                         : randomInput(graph, id, seed_));
    }
    Interpreter::Result result;
    if (backend_ == "jit") {
      auto compiled = codegen::CompiledGraph::compile(graph);
      const codegen::CompileStats &stats = compiled->stats();
      fmt::print("jit: compiled in {:.0f} ms (cache {}), {} kernels in {} stages ({} distinct), "
                 "{}\njit: {}\n",
                 stats.milliseconds, stats.cacheHit ? "hit" : "miss", stats.kernels, stats.stages,
                 stats.kernelBodies, stats.host, stats.phaseSummary());
      codegen::CompiledGraph::Result jit = compiled->run(inputs, state);
      result.outputs = std::move(jit.outputs);
      result.updates = std::move(jit.updates);
    } else {
      result = Interpreter(graph).run(inputs, state);
    }

    std::vector<NamedTensor> saved;
    for (size_t i = 0; i < graph.outputs().size(); ++i) {
      printStats("output " + graph.outputs()[i].name, result.outputs[i]);
      saved.push_back({graph.outputs()[i].name, result.outputs[i]});
    }
    for (size_t i = 0; i < graph.updates().size(); ++i) {
      const std::string &name = graph.node(graph.updates()[i].state).name;
      printStats("update " + name, result.updates[i]);
      if (graph.findOutput(name))
        fail("--out: output and state are both named '{}'", name);
      saved.push_back({name, result.updates[i]});
    }
    if (!out_.empty()) {
      writeSafetensors(out_, saved);
      fmt::print("wrote {} tensors to {}\n", saved.size(), out_);
    }
    return 0;
  }

private:
  /// The --inputs file, every tensor of which must be an input or state of `graph` with
  /// its type.
  SafetensorsFile readGivenValues(const Graph &graph) const {
    SafetensorsFile file = readSafetensors(inputs_);
    for (const NamedTensor &named : file.tensors) {
      std::optional<ValueId> id = graph.findNamed(named.name);
      if (!id)
        fail("{}: tensor '{}' is neither an input nor a state of graph @{}", inputs_, named.name,
             graph.name());
      if (named.tensor.type() != graph.type(*id))
        fail("{}: tensor '{}' is {}, but %{} of graph @{} is {}", inputs_, named.name,
             named.tensor.type().str(), named.name, graph.name(), graph.type(*id).str());
    }
    return file;
  }

  std::string file_, out_, inputs_, backend_ = "interp";
  uint64_t seed_ = 0;
};

} // namespace

std::unique_ptr<Command> makeRunCommand() { return std::make_unique<RunCommand>(); }

} // namespace kiln::cli
