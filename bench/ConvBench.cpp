// The JIT's convolutions (forward, input gradient, filter gradient) and pooling at the
// shapes of the cnn and icnn train steps (batch 64), against the interpreter (Eigen
// im2col + GEMM), in GFLOP/s.
#include "BenchUtil.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <map>

namespace kiln::bench {
namespace {

/// A graph of one node of `source` (same op, operand types and attributes).
Graph copyNode(const Graph &source, const Node &node) {
  std::vector<Type> operands;
  for (ValueId v : node.operands)
    operands.push_back(source.type(v));
  return singleOp(node.op, operands, node.attrs);
}

double flops(const Graph &g, const Node &node) {
  switch (node.op) {
  case OpKind::Conv2d:
  case OpKind::Conv2dInputGrad:
  case OpKind::Conv2dFilterGrad: {
    // 2 * N * O * HO * WO * C/groups * KH * KW, whichever operand holds which shape.
    const Shape &w =
        node.op == OpKind::Conv2dFilterGrad ? node.type.shape : g.type(node.operands[1]).shape;
    const Shape &y = node.op == OpKind::Conv2d            ? node.type.shape
                     : node.op == OpKind::Conv2dInputGrad ? g.type(node.operands[0]).shape
                                                          : g.type(node.operands[1]).shape;
    return 2.0 * double(y[0] * y[1] * y[2] * y[3] * w[1] * w[2] * w[3]);
  }
  default:
    return double(node.type.numElements());
  }
}

void kernel(benchmark::State &state, Graph graph, double work, bool jit) {
  std::vector<Tensor> inputs, params;
  randomArguments(graph, inputs, params);
  codegen::JitOptions options;
  options.useCache = false;
  std::unique_ptr<codegen::CompiledGraph> compiled;
  std::unique_ptr<Interpreter> interpreter;
  if (jit)
    compiled = codegen::CompiledGraph::compile(graph, options);
  else
    interpreter = std::make_unique<Interpreter>(graph);
  for (auto _ : state) {
    if (jit)
      benchmark::DoNotOptimize(compiled->run(inputs, params));
    else
      benchmark::DoNotOptimize(interpreter->run(inputs, params));
  }
  bool conv = graph.node(graph.outputs()[0].value).op == OpKind::Conv2d ||
              graph.node(graph.outputs()[0].value).op == OpKind::Conv2dInputGrad ||
              graph.node(graph.outputs()[0].value).op == OpKind::Conv2dFilterGrad;
  state.counters[conv ? "GFLOP/s" : "Gelem/s"] =
      benchmark::Counter(work * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void registerAll() {
  std::map<std::string, std::pair<Graph, double>> cases; // by label, deduplicated
  for (const char *model : {"cnn", "icnn"}) {
    Graph g = buildStageGraph(model, Stage::Train, 64);
    for (const Node &node : g.nodes()) {
      bool wanted = node.op == OpKind::Conv2d || node.op == OpKind::Conv2dInputGrad ||
                    node.op == OpKind::Conv2dFilterGrad || node.op == OpKind::MaxPool2d ||
                    node.op == OpKind::MaxPool2dGrad;
      if (!wanted)
        continue;
      std::string label = fmt::format("{}/{}", mnemonic(node.op), node.type.str());
      for (ValueId v : node.operands)
        label += "/" + g.type(v).str();
      cases.emplace(label, std::pair(copyNode(g, node), flops(g, node)));
    }
  }
  for (const auto &[label, c] : cases)
    for (bool jit : {true, false})
      benchmark::RegisterBenchmark(("conv/" + label + (jit ? "/jit" : "/interp")).c_str(), kernel,
                                   c.first, c.second, jit)
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
}

const bool registered = (registerAll(), true);

} // namespace
} // namespace kiln::bench
