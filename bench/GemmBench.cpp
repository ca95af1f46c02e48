// The JIT's generated GEMM against Eigen (the interpreter's matmul): square 256/512/1024
// and every matmul shape of the mlp, cnn and icnn train steps at batch 64, in GFLOP/s.
#include "BenchUtil.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/ir/OpAttrs.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <set>
#include <tuple>

namespace kiln::bench {
namespace {

struct GemmShape {
  int64_t m, n, k;
  bool ta, tb;
  auto key() const { return std::tuple(m, n, k, ta, tb); }
  bool operator<(const GemmShape &o) const { return key() < o.key(); }
};

Graph gemmGraph(const GemmShape &s) {
  Type a{DType::F32, s.ta ? Shape{s.k, s.m} : Shape{s.m, s.k}};
  Type b{DType::F32, s.tb ? Shape{s.n, s.k} : Shape{s.k, s.n}};
  return singleOp(OpKind::Matmul, {a, b}, {{"transpose_a", s.ta}, {"transpose_b", s.tb}});
}

void gemm(benchmark::State &state, GemmShape s, bool jit) {
  Graph graph = gemmGraph(s);
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
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * double(s.m * s.n * s.k),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

/// The matmuls of the zoo models' train steps at batch 64.
std::set<GemmShape> modelShapes() {
  std::set<GemmShape> shapes;
  for (const char *model : {"mlp", "cnn", "icnn"}) {
    Graph g = buildStageGraph(model, Stage::Train, 64);
    for (const Node &node : g.nodes()) {
      if (node.op != OpKind::Matmul || node.type.rank() != 2)
        continue;
      auto [ta, tb] = matmulAttrs(node.attrs);
      const Shape &a = g.type(node.operands[0]).shape;
      shapes.insert({node.type.shape[0], node.type.shape[1], ta ? a[0] : a[1], ta, tb});
    }
  }
  return shapes;
}

void registerAll() {
  std::vector<GemmShape> shapes = {{256, 256, 256, false, false},
                                   {512, 512, 512, false, false},
                                   {1024, 1024, 1024, false, false}};
  for (const GemmShape &s : modelShapes())
    shapes.push_back(s);
  for (const GemmShape &s : shapes)
    for (bool jit : {true, false})
      benchmark::RegisterBenchmark(fmt::format("gemm/{}x{}x{}{}{}/{}", s.m, s.n, s.k,
                                               s.ta ? "/ta" : "", s.tb ? "/tb" : "",
                                               jit ? "jit" : "eigen")
                                       .c_str(),
                                   gemm, s, jit)
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
}

const bool registered = (registerAll(), true);

} // namespace
} // namespace kiln::bench
