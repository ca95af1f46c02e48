// Compilation itself: the disk cache (a second compile of the same graph loads the
// object instead of generating code, and computes the same thing), argument checking,
// the textual views (`kiln ir --stage llvm|asm`) and per-kernel profiling.
#include "JitTestUtil.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/codegen/Pipeline.h"
#include "kiln/codegen/ObjectCache.h"
#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

using namespace kiln;
using namespace kiln::test;

namespace {

Graph smallGraph() {
  Graph g("small");
  ValueId a = g.addInput("a", {DType::F32, {17, 31}});
  ValueId w = g.addState("w", {DType::F32, {31, 3}});
  ValueId y = g.add(OpKind::Matmul, {a, w});
  g.addOutput("y", g.add(OpKind::Exp, {y}));
  g.addUpdate(w, g.add(OpKind::Neg, {w}));
  return g;
}

std::filesystem::path freshDirectory() {
  auto dir = std::filesystem::temp_directory_path() /
             ("kiln-cache-test-" + std::to_string(std::random_device{}()));
  std::filesystem::remove_all(dir);
  return dir;
}

} // namespace

namespace {

std::vector<std::string> phaseNames(const codegen::CompileStats &stats) {
  std::vector<std::string> names;
  double sum = 0;
  for (const codegen::PhaseTime &phase : stats.phases) {
    names.push_back(phase.step);
    CHECK(phase.milliseconds >= 0);
    sum += phase.milliseconds;
  }
  CHECK(sum <= stats.milliseconds);
  return names;
}

} // namespace

TEST_CASE("compile stats say where the time went, step by step", "[jit][cache]") {
  std::filesystem::path dir = freshDirectory();
  codegen::JitOptions options;
  options.cacheDir = dir;
  Graph g = smallGraph();
  std::vector<std::string> lowering = {"graph-passes", "fuse",        "lower",
                                       "add-scratch",  "plan-memory", "plan-stages",
                                       "emit-llvm",    "cache-key"};
  auto cold = codegen::CompiledGraph::compile(g, options);
  std::vector<std::string> coldSteps = lowering;
  coldSteps.push_back("optimize");
  CHECK(phaseNames(cold->stats()) == coldSteps);
  auto warm = codegen::CompiledGraph::compile(g, options);
  std::vector<std::string> warmSteps = lowering;
  warmSteps.push_back("cache-load");
  CHECK(phaseNames(warm->stats()) == warmSteps);
  CHECK_THAT(warm->stats().phaseSummary(), Catch::Matchers::StartsWith("graph-passes ") &&
                                               Catch::Matchers::EndsWith(" ms"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the second compile of a graph comes from the disk cache", "[jit][cache]") {
  std::filesystem::path dir = freshDirectory();
  codegen::JitOptions options;
  options.cacheDir = dir;
  Graph g = smallGraph();
  auto cold = codegen::CompiledGraph::compile(g, options);
  CHECK_FALSE(cold->stats().cacheHit);
  REQUIRE(std::filesystem::exists(codegen::ObjectCache(dir).path(cold->stats().cacheKey)));
  auto warm = codegen::CompiledGraph::compile(g, options);
  CHECK(warm->stats().cacheHit);
  CHECK(warm->stats().cacheKey == cold->stats().cacheKey);

  Arguments args = randomArguments(g, 3, {});
  auto a = cold->run(args.inputs, args.state), b = warm->run(args.inputs, args.state);
  CHECK(compareTensors(b.outputs[0], a.outputs[0], 0) == "");
  CHECK(compareTensors(b.updates[0], a.updates[0], 0) == "");

  // Another graph has another key.
  Graph other = smallGraph();
  other.addOutput("z", other.findNamed("a").value());
  auto third = codegen::CompiledGraph::compile(other, options);
  CHECK_FALSE(third->stats().cacheHit);
  CHECK(third->stats().cacheKey != cold->stats().cacheKey);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a corrupt cache entry is compiled again, not loaded", "[jit][cache]") {
  std::filesystem::path dir = freshDirectory();
  codegen::JitOptions options;
  options.cacheDir = dir;
  Graph g = smallGraph();
  std::string key = codegen::CompiledGraph::compile(g, options)->stats().cacheKey;
  std::filesystem::path entry = codegen::ObjectCache(dir).path(key);
  auto size = std::filesystem::file_size(entry);
  std::filesystem::resize_file(entry, 100); // truncated: not an object file any more
  auto again = codegen::CompiledGraph::compile(g, options);
  CHECK_FALSE(again->stats().cacheHit);
  CHECK(std::filesystem::file_size(entry) == size); // rewritten
  Arguments args = randomArguments(g, 3, {});
  CHECK(again->run(args.inputs, args.state).outputs.size() == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("run checks its arguments like the interpreter", "[jit]") {
  Graph g = smallGraph();
  auto jit = codegen::CompiledGraph::compile(g, testJitOptions());
  Arguments args = randomArguments(g, 1, {});
  CHECK_THROWS_WITH(jit->run({}, args.state), Catch::Contains("has 1 inputs, got 0"));
  std::vector<Tensor> wrong = {Tensor({DType::F32, {17, 30}})};
  CHECK_THROWS_WITH(jit->run(wrong, args.state), Catch::Contains("input 'a'"));
  CHECK_THROWS_WITH(jit->run(args.inputs, {}), Catch::Contains("has 1 states, got 0"));
}

TEST_CASE("the textual views name kernels after their scopes", "[jit]") {
  Graph g("views");
  ValueId a = g.addInput("a", {DType::F32, {64, 64}});
  ValueId m = g.add(OpKind::Matmul, {a, a}, {}, "fc1");
  g.addOutput("y", g.add(OpKind::Tanh, {m}, {}, "fc1/act"));
  std::string ir = codegen::llvmIr(g, /*optimized=*/true, testJitOptions());
  CHECK_THAT(ir, Catch::Contains("; stages of @views"));
  CHECK_THAT(ir, Catch::Contains("@\"fc1/matmul.1\"("));
  CHECK_THAT(ir, Catch::Contains("@\"fc1/act/tanh.2\""));
  CHECK_THAT(ir, Catch::Contains("define noundef i32 @kiln_step"));
  std::string assembly = codegen::assembly(g, testJitOptions());
  CHECK_THAT(assembly, Catch::Contains("kiln_step:"));
  CHECK_THAT(assembly, Catch::Contains("fc1/matmul.1"));
}

TEST_CASE("profiling times every kernel", "[jit]") {
  Graph g = smallGraph();
  codegen::JitOptions options = testJitOptions();
  options.profile = true;
  auto jit = codegen::CompiledGraph::compile(g, options);
  REQUIRE(jit->profile() != nullptr);
  Arguments args = randomArguments(g, 1, {});
  for (int i = 0; i < 3; ++i)
    jit->run(args.inputs, args.state);
  CHECK(jit->profile()->runs == 3);
  CHECK(jit->profile()->names.size() == jit->stats().kernels);
  CHECK_THAT(jit->profile()->report(), Catch::Contains("matmul"));
}

TEST_CASE("tensors with a zero dimension", "[jit]") {
  Graph g("empty");
  ValueId a = g.addInput("a", {DType::F32, {0, 5}});
  ValueId b = g.addInput("b", {DType::F32, {5, 3}});
  ValueId c = g.addInput("c", {DType::F32, {2, 0}});
  ValueId x = g.addInput("x", {DType::F32, {0, 2, 6, 6}});
  ValueId w = g.addInput("w", {DType::F32, {4, 2, 3, 3}});
  g.addOutput("matmul", g.add(OpKind::Matmul, {a, b}));
  g.addOutput("sum", g.add(OpKind::ReduceSum, {c}, {{"axes", std::vector<int64_t>{1}}}));
  g.addOutput("exp", g.add(OpKind::Exp, {a}));
  g.addOutput("conv", g.add(OpKind::Conv2d, {x, w}, {{"padding", std::vector<int64_t>{1, 1}}}));
  g.addOutput("pool", g.add(OpKind::MaxPool2d, {x}, {{"window", std::vector<int64_t>{2, 2}}}));
  ValueId empty = g.add(OpKind::Matmul, {c, a});
  g.addOutput("zeros", empty); // [2,0] x [0,5]: a sum over nothing
  checkAgainstInterpreter(g, randomArguments(g, 5, {}), 0, "zero-size tensors");
}

TEST_CASE("a graph whose buffers do not fit in memory is refused before compiling",
          "[jit][memory]") {
  // Small inputs, one 2^40-element product: the arena alone would be 4 TiB.
  Graph g("outer");
  ValueId a = g.addInput("a", Type{DType::F32, {1 << 20, 1}});
  ValueId b = g.addInput("b", Type{DType::F32, {1, 1 << 20}});
  ValueId p = g.add(OpKind::Matmul, {a, b});
  g.addOutput("sum", g.add(OpKind::ReduceSum, {p}, Attrs().set("axes", std::vector<int64_t>{0, 1})));
  codegen::JitOptions options;
  options.useCache = false;
  CHECK_THROWS_WITH(codegen::CompiledGraph::compile(g, options),
                    Catch::Matchers::StartsWith("graph @outer needs 4.0 TiB; ") &&
                        Catch::Matchers::EndsWith(" available"));
  CHECK_THROWS_WITH(Interpreter(g), Catch::Matchers::StartsWith("graph @outer needs 4.0 TiB; "));
}
