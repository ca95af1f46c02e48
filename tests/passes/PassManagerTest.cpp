// The pass manager: the registry, pipelines, dumps handed to the caller, verification
// after each pass, fixed points and statistics.
#include "kiln/passes/PassManager.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Printer.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

Graph sample() {
  return parseGraph(R"(graph @sample {
    input %x : f32[3]
    input %p : bool[3]
    %0 = exp(%x) : f32[3]
    %1 = exp(%x) : f32[3]
    %2 = select(%p, %0, %1) : f32[3]
    %3 = constant() {dtype = "f32", shape = [3], value = 1.0} : f32[3]
    %4 = mul(%2, %3) : f32[3]
    %5 = neg(%x) : f32[3]
    output y = %4
  })");
}

} // namespace

TEST_CASE("every pass is registered with a name and a description", "[passes]") {
  std::vector<std::string> names;
  for (const PassInfo &p : graphPasses()) {
    names.emplace_back(p.name);
    CHECK(!p.description.empty());
    CHECK(p.run != nullptr);
    CHECK(&findPass(p.name) == &p);
  }
  CHECK(names == std::vector<std::string>{"simplify", "constfold", "cse", "dce"});
  std::vector<std::string> steps;
  for (const PassInfo &p : loweringSteps()) {
    steps.emplace_back(p.name);
    CHECK(!p.description.empty());
  }
  CHECK(steps == std::vector<std::string>{"graph-passes", "fuse", "lower", "add-scratch",
                                          "plan-memory", "plan-stages", "emit-llvm",
                                          "optimize"});
}

TEST_CASE("pipelines reject unknown and empty pass names", "[passes]") {
  PassManager pm;
  CHECK_THROWS_WITH(pm.addPipeline("dce,nope"),
                    "unknown pass 'nope' (passes: simplify, constfold, cse, dce; or 'default')");
  CHECK_THROWS_WITH(pm.addPipeline("dce,"), "empty pass name in pipeline 'dce,'");
  CHECK_THROWS_AS(pm.addPipeline("plan-memory"), Error);
}

TEST_CASE("the default pipeline runs to a fixed point and then changes nothing", "[passes]") {
  Graph graph = sample();
  PipelineOptions options;
  options.verifyEach = true;
  PassManager pm(options);
  pm.addPipeline("default");
  CHECK(pm.run(graph));
  CHECK(printGraph(graph) == "graph @sample {\n"
                             "  input %x : f32[3]\n"
                             "  input %p : bool[3]\n"
                             "  %0 = exp(%x) : f32[3]\n"
                             "  output y = %0\n"
                             "}\n");
  PassManager again(options);
  again.addPipeline("default");
  CHECK_FALSE(again.run(graph));
  const Statistics &stats = pm.statistics();
  CHECK(stats.get("cse", "nodes merged") == 1);
  CHECK(stats.get("simplify", "identities removed") == 2);
  CHECK(stats.get("dce", "nodes removed") >= 1);
  CHECK(stats.get("pipeline", "fixed-point rounds that changed the graph") == 2);
}

TEST_CASE("dumps before and after chosen passes go to the caller", "[passes]") {
  std::vector<std::string> dumps;
  PipelineOptions options;
  options.printBefore = {"dce"};
  options.printAfter = {"all"};
  options.dump = [&](std::string_view text) { dumps.emplace_back(text); };
  PassManager pm(options);
  pm.addPipeline("cse,dce");
  Graph graph = sample();
  pm.run(graph);
  REQUIRE(dumps.size() == 3);
  CHECK(dumps[0].rfind("// -----// IR Dump After cse //----- //\ngraph @sample {", 0) == 0);
  CHECK(dumps[1].rfind("// -----// IR Dump Before dce //----- //\n", 0) == 0);
  CHECK(dumps[2].rfind("// -----// IR Dump After dce //----- //\n", 0) == 0);
  CHECK(dumps[2].find("neg") == std::string::npos);
}

TEST_CASE("verification names a graph that does not verify", "[passes]") {
  Graph graph = sample();
  graph.mutableNodes()[2].type = Type{DType::F64, {3}}; // exp's shape rule says f32
  PipelineOptions options;
  options.verifyEach = true;
  PassManager pm(options);
  pm.addPipeline("dce");
  CHECK_THROWS_AS(pm.run(graph), Error);
}

TEST_CASE("statistics print like LLVM's -stats", "[passes]") {
  Statistics stats;
  stats.add("cse", "nodes merged", 3);
  stats.add("simplify", "identities removed", 12);
  stats.add("cse", "nodes merged", 2);
  CHECK(stats.get("cse", "nodes merged") == 5);
  CHECK(stats.get("cse", "other") == 0);
  std::string text = stats.format();
  CHECK(text.find("... Statistics Collected ...") != std::string::npos);
  CHECK(text.find("        5 cse      - nodes merged\n") != std::string::npos);
  CHECK(text.find("       12 simplify - identities removed\n") != std::string::npos);
}
