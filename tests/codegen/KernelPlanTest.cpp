// The kernel plan: which values get buffers, how elementwise chains fuse, that the
// arena never lets two buffers that are alive at once overlap, and that per-worker
// scratch holds what the kernels use.
#include "kiln/codegen/KernelPlan.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace kiln;
using namespace kiln::codegen;

namespace {

PlanOptions options() {
  PlanOptions o;
  o.workers = 2;
  return o;
}

bool hasKernel(const KernelPlan &plan, ValueId v) {
  for (const Kernel &k : plan.kernels)
    if (k.value == v)
      return true;
  return false;
}

} // namespace

TEST_CASE("single-use elementwise chains fuse into their user", "[jit][plan]") {
  Graph g("chain");
  ValueId x = g.addInput("x", {DType::F32, {64, 10}});
  ValueId b = g.addInput("b", {DType::F32, {10}});
  ValueId bb = g.add(OpKind::Broadcast, {b},
                     {{"dims", std::vector<int64_t>{1}}, {"shape", std::vector<int64_t>{64, 10}}});
  ValueId s = g.add(OpKind::Add, {x, bb});
  ValueId e = g.add(OpKind::Exp, {s});
  ValueId r = g.add(OpKind::ReduceSum, {e}, {{"axes", std::vector<int64_t>{1}}});
  g.addOutput("r", r);
  KernelPlan plan = planKernels(g, options());
  CHECK(plan.kernels.size() == 1); // the reduction evaluates exp(x + broadcast(b))
  CHECK(plan.storage[bb].kind == StorageKind::Virtual);
  CHECK(plan.storage[s].kind == StorageKind::Virtual);
  CHECK(plan.storage[e].kind == StorageKind::Virtual);
  CHECK(plan.storage[r].kind == StorageKind::Argument);
}

TEST_CASE("values read twice, or by a contraction, get buffers", "[jit][plan]") {
  Graph g("reuse");
  ValueId x = g.addInput("x", {DType::F32, {8, 8}});
  ValueId n = g.add(OpKind::Neg, {x});
  ValueId t = g.add(OpKind::Transpose, {n}, {{"perm", std::vector<int64_t>{1, 0}}});
  ValueId m = g.add(OpKind::Matmul, {t, x});
  ValueId y = g.add(OpKind::Add, {m, m});
  g.addOutput("y", y);
  g.addOutput("m", m);
  KernelPlan plan = planKernels(g, options());
  CHECK(plan.storage[t].kind == StorageKind::Arena); // matmul needs its operand's buffer
  CHECK(hasKernel(plan, t));
  // A view's operand keeps its buffer: a view may read it at many indices (broadcast).
  CHECK(plan.storage[n].kind == StorageKind::Arena);
  CHECK(plan.storage[m].kind == StorageKind::Argument);
  CHECK(plan.copies.empty());
}

TEST_CASE("a reshape aliases its operand's buffer", "[jit][plan]") {
  Graph g("alias");
  ValueId x = g.addInput("x", {DType::F32, {4, 6}});
  ValueId n = g.add(OpKind::Exp, {x});
  ValueId r = g.add(OpKind::Reshape, {n}, {{"shape", std::vector<int64_t>{6, 4}}});
  ValueId m = g.add(OpKind::Matmul, {r, x});
  g.addOutput("m", m);
  KernelPlan plan = planKernels(g, options());
  CHECK(plan.storage[r].kind == StorageKind::Alias);
  CHECK(plan.root(r) == n);
  CHECK(plan.storage[n].kind == StorageKind::Arena);
}

TEST_CASE("outputs that are inputs, state or repeated values are copied", "[jit][plan]") {
  Graph g("copies");
  ValueId x = g.addInput("x", {DType::F32, {3}});
  ValueId s = g.addState("s", {DType::F32, {3}});
  ValueId n = g.add(OpKind::Neg, {x});
  g.addOutput("x", x);
  g.addOutput("n1", n);
  g.addOutput("n2", n);
  g.addUpdate(s, s);
  KernelPlan plan = planKernels(g, options());
  CHECK(plan.copies.size() == 3); // x, the second n, and s
}

TEST_CASE("buffers alive at the same time never overlap in the arena", "[jit][plan]") {
  Graph g("arena");
  ValueId x = g.addInput("x", {DType::F32, {32, 32}});
  ValueId v = x;
  std::vector<ValueId> kept;
  for (int i = 0; i < 12; ++i) {
    v = g.add(OpKind::Matmul, {v, x});
    if (i % 3 == 0)
      kept.push_back(v); // read again at the end: long lifetimes
  }
  ValueId sum = v;
  for (ValueId k : kept)
    sum = g.add(OpKind::Add, {sum, k});
  g.addOutput("y", sum);
  KernelPlan plan = planKernels(g, options());
  // Lifetimes in kernel indices, recomputed from the plan.
  std::vector<std::pair<int64_t, int64_t>> life(g.size(), {-1, -1});
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    ValueId w = plan.kernels[k].value;
    if (life[w].first < 0)
      life[w].first = int64_t(k);
    for (ValueId o : g.node(w).operands) {
      ValueId r = plan.root(o);
      life[r].second = std::max(life[r].second, int64_t(k));
    }
  }
  for (size_t a = 0; a < g.size(); ++a)
    for (size_t b = a + 1; b < g.size(); ++b) {
      const Storage &sa = plan.storage[a], &sb = plan.storage[b];
      if (sa.kind != StorageKind::Arena || sb.kind != StorageKind::Arena)
        continue;
      int64_t aEnd = std::max(life[a].first, life[a].second),
              bEnd = std::max(life[b].first, life[b].second);
      bool together = life[a].first <= bEnd && life[b].first <= aEnd;
      int64_t bytesA = g.type(ValueId(a)).numElements() * 4,
              bytesB = g.type(ValueId(b)).numElements() * 4;
      bool overlap = sa.offset < sb.offset + bytesB && sb.offset < sa.offset + bytesA;
      INFO("%" << a << " and %" << b);
      CHECK_FALSE((together && overlap));
    }
  CHECK(plan.arenaBytes < int64_t(12 * 32 * 32 * 4)); // some buffers share memory
}

TEST_CASE("a filter gradient's scratch holds the GEMM of every chunk of images", "[jit][plan]") {
  // The last chunk of images can be shallower yet take a deeper panel than a full one
  // (random graph seed 2252: 17 images of 32 cells in chunks of 9 and 8, depths 288 and
  // 256, panels 144 and 256 deep): the plan must size the scratch for both.
  using namespace kiln::libjit;
  for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512})
    for (int eb : {4, 8})
      for (Index n : {1, 5, 16, 17, 63, 64})
        for (Index plane : {1, 7, 32, 126})
          for (Index ipc = 1; ipc <= n; ++ipc) {
            ConvShape s{n, 3, 8, 8, 5, 3, 3, 1, plane, 2, 2, 0, 0, 1, 1, 1};
            Index scratch = convFilterGradScratch(isa, eb, s, ipc);
            for (Index n0 = 0; n0 < n; n0 += ipc) {
              Index images = std::min(ipc, n - n0);
              INFO("isa " << int(isa) << ", " << eb << "-byte, " << n << " images of " << plane
                          << " cells, " << ipc << " per chunk");
              REQUIRE(scratch >= gemmScratch(isa, eb, s.og(), s.k(), images * plane).total());
            }
          }
}
