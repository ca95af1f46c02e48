// All-reduce buckets (codegen/Buckets.h): every all_reduce of a step is in exactly one
// bucket, closed once, and waited for once, after it closes and before any kernel touches
// one of its results; the schedule leaves kernels between a bucket's close and its wait
// (the communication they hide). Under mpirun the buckets reduce for real
// (tests/runtime/dist); a single process runs the same calls as copies.
#include "JitTestUtil.h"

#include "kiln/codegen/Pipeline.h"
#include "kiln/runtime/interp/Interpreter.h"
#include "kiln/runtime/train/StepGraphs.h"

#include <catch2/catch.hpp>

#include <map>

using namespace kiln;
using namespace kiln::test;

namespace {

std::unique_ptr<codegen::LoweredStep> lower(const Graph &graph, int64_t bucketBytes) {
  codegen::JitOptions options = testJitOptions();
  options.bucketBytes = bucketBytes;
  codegen::LowerOptions lowering;
  lowering.target = codegen::planOptions(options);
  return codegen::lowerStep(graph, lowering);
}

struct BucketFacts {
  std::map<int64_t, int> closingKernel, waitKernel; ///< kernel index; waitsAtEnd: #kernels
  int members = 0;
};

/// Checks the invariants of the header and returns where each bucket closes and waits.
BucketFacts checkBuckets(const codegen::StepPlan &plan) {
  BucketFacts facts;
  const int kernels = static_cast<int>(plan.kernelNames.size());
  std::map<int64_t, int> closes;
  std::map<ValueId, int64_t> bucketOf;
  int64_t last = -1;
  for (const codegen::Stage &stage : plan.stages) {
    if (stage.kind != codegen::StageKind::AllReduce)
      continue;
    ++facts.members;
    REQUIRE(stage.bucket >= 0);
    CHECK(stage.bucket >= last); // buckets are runs of consecutive all_reduces
    CHECK((stage.bucket == last || stage.bucket == last + 1));
    CHECK_FALSE(closes.count(stage.bucket)); // nothing joins a closed bucket
    last = stage.bucket;
    bucketOf[stage.value] = stage.bucket;
    if (stage.closesBucket) {
      closes[stage.bucket] = 1;
      facts.closingKernel[stage.bucket] = stage.kernel;
    }
  }
  CHECK(static_cast<int64_t>(closes.size()) == last + 1);
  for (int k = 0; k < kernels; ++k)
    for (int64_t b : plan.waitsBefore[size_t(k)]) {
      CHECK_FALSE(facts.waitKernel.count(b));
      facts.waitKernel[b] = k;
    }
  for (int64_t b : plan.waitsAtEnd) {
    CHECK_FALSE(facts.waitKernel.count(b));
    facts.waitKernel[b] = kernels;
  }
  CHECK(static_cast<int64_t>(facts.waitKernel.size()) == last + 1);
  for (const auto &[bucket, closing] : facts.closingKernel)
    CHECK(facts.waitKernel.at(bucket) > closing);
  // No kernel reads a result before its bucket is waited for.
  for (int k = 0; k < kernels; ++k)
    for (const codegen::StepPlan::Access &a : plan.access[size_t(k)])
      if (auto it = bucketOf.find(a.value); it != bucketOf.end() && a.stage < 0) {
        INFO("kernel " << k << " reads %" << a.value << " of bucket " << it->second);
        CHECK(facts.waitKernel.at(it->second) <= k);
      }
  return facts;
}

} // namespace

TEST_CASE("a data-parallel train step's gradients go in buckets that overlap the backward pass",
          "[codegen][buckets]") {
  StepOptions options;
  options.dp = {0, 2};
  Graph graph = buildStageGraph("cnn", Stage::Train, 64, options);

  auto step = lower(graph, int64_t(1) << 20);
  BucketFacts facts = checkBuckets(step->stages);
  CHECK(facts.members == 8);
  REQUIRE(facts.closingKernel.size() >= 2);
  // The first bucket (fc2, fc1) closes before the convolutions' gradients, which run while
  // it is reduced: more than a few kernels lie between its close and its wait.
  CHECK(facts.waitKernel.at(0) - facts.closingKernel.at(0) >= 5);

  auto single = lower(graph, 0); // every gradient alone
  BucketFacts alone = checkBuckets(single->stages);
  CHECK(alone.closingKernel.size() == 8);
}

TEST_CASE("a kernel that needs a result of a bucket still filling closes it early",
          "[codegen][buckets]") {
  // all_reduce -> matmul -> all_reduce: the second cannot join the first's bucket, whose
  // result the matmul between them reads.
  Graph graph("chain");
  ValueId x = graph.addInput("x", Type{DType::F32, {17, 3}});
  ValueId z = graph.addInput("z", Type{DType::F32, {17, 3}});
  auto allReduce = [&](ValueId v) {
    return graph.add(OpKind::AllReduce, {v}, {{"reduction", std::string("sum")}});
  };
  ValueId r1 = allReduce(x);
  ValueId r2 = allReduce(graph.add(OpKind::Matmul, {r1, r1}, {{"transpose_b", true}}));
  ValueId r3 = allReduce(z);
  graph.addOutput("y", graph.add(OpKind::Add, {r2, graph.add(OpKind::Matmul, {r3, r3},
                                                             {{"transpose_b", true}})}));
  auto step = lower(graph, int64_t(1) << 30); // one bucket if nothing forced a close
  BucketFacts facts = checkBuckets(step->stages);
  CHECK(facts.members == 3);
  CHECK(facts.closingKernel.size() >= 2);

  // Alone, the buckets are copies, and the step is the interpreter's.
  auto compiled = codegen::CompiledGraph::compile(graph, testJitOptions());
  std::vector<Tensor> inputs;
  for (int k = 0; k < 2; ++k) {
    Tensor in(Type{DType::F32, {17, 3}});
    for (int64_t i = 0; i < in.numElements(); ++i)
      in.data<float>()[size_t(i)] = static_cast<float>((i + k) % 7) - 3.0f;
    inputs.push_back(std::move(in));
  }
  std::vector<Tensor> jit = compiled->run(inputs, {}).outputs;
  std::vector<Tensor> oracle = Interpreter(graph).run(inputs, {}).outputs;
  REQUIRE(jit.size() == 1);
  for (int64_t i = 0; i < jit[0].numElements(); ++i)
    CHECK(jit[0].at(i) == Approx(oracle[0].at(i)).epsilon(1e-6));
}
