// The thread pool behind kiln_parallel_for: every item once, worker ids within the
// limit and never shared by two bodies at a time, nested loops run inline.
#include "kiln/runtime/ThreadPool.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <vector>

using namespace kiln;

namespace {

struct Record {
  std::vector<std::atomic<int>> runs;
  std::vector<std::atomic<int>> active; ///< per worker id: bodies running with it now
  std::atomic<int> badWorker{0}, overlap{0};
  int64_t maxWorkers;
  Record(int64_t n, int64_t workers) : runs(size_t(n)), active(64), maxWorkers(workers) {}
};

void body(void *context, int64_t begin, int64_t end, int64_t worker) {
  auto *r = static_cast<Record *>(context);
  if (worker < 0 || worker >= r->maxWorkers)
    ++r->badWorker;
  if (r->active[size_t(worker)].fetch_add(1) != 0)
    ++r->overlap;
  for (int64_t i = begin; i < end; ++i) {
    volatile double x = 0;
    for (int k = 0; k < 2000; ++k) // some work, so participants overlap
      x = x + k;
    ++r->runs[size_t(i)];
  }
  r->active[size_t(worker)].fetch_sub(1);
}

} // namespace

TEST_CASE("parallelFor runs every item once with valid worker ids", "[jit][threads]") {
  ThreadPool pool(4);
  int64_t n = GENERATE(0, 1, 3, 17, 1000);
  int64_t maxWorkers = GENERATE(1, 2, 8);
  for (int repeat = 0; repeat < 20; ++repeat) {
    Record r(n, maxWorkers);
    pool.parallelFor(n, maxWorkers, body, &r);
    for (int64_t i = 0; i < n; ++i)
      REQUIRE(r.runs[size_t(i)].load() == 1);
    REQUIRE(r.badWorker.load() == 0);
    REQUIRE(r.overlap.load() == 0);
  }
}

TEST_CASE("a parallel loop inside a parallel loop runs inline", "[jit][threads]") {
  ThreadPool pool(2);
  struct Outer {
    ThreadPool *pool;
    std::atomic<int> inner{0};
  } outer{&pool};
  pool.parallelFor(
      8, 2,
      [](void *context, int64_t, int64_t, int64_t) {
        auto *o = static_cast<Outer *>(context);
        o->pool->parallelFor(
            5, 2,
            [](void *c, int64_t begin, int64_t end, int64_t worker) {
              CHECK(worker == 0);
              static_cast<Outer *>(c)->inner += int(end - begin);
            },
            o);
      },
      &outer);
  REQUIRE(outer.inner.load() == 40);
}
