// The thread pool behind kiln_parallel_for: every item once, worker ids within the
// limit and never shared by two bodies at a time, nested loops run inline.
#include "kiln/runtime/ThreadPool.h"

#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST_CASE("a pool whose worker cannot start stops the workers it started", "[jit][threads]") {
  // In a child process whose address space leaves room for a few thread stacks only, so
  // that a start fails for certain: before the fix this aborted in std::terminate or hung.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(60); // a hang ends the child by SIGALRM, which the parent reports
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    rlim_t used = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE));
    rlimit limit{used + (rlim_t(64) << 20), used + (rlim_t(64) << 20)};
    if (::setrlimit(RLIMIT_AS, &limit) != 0)
      ::_exit(10);
    try {
      ThreadPool pool(100000);
      ::_exit(11);
    } catch (const Error &e) {
      ::_exit(std::string(e.what()).rfind("cannot start thread ", 0) == 0 ? 0 : 12);
    } catch (...) {
      ::_exit(13);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child status " << status << " (signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                       << ")");
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

TEST_CASE("thread counts outside 1 to 4x the hardware threads are refused", "[jit][threads]") {
  int max = ThreadPool::maxThreads();
  CHECK(max == 4 * ThreadPool::hardwareThreads());
  CHECK(ThreadPool::checkThreadCount("1").empty());
  CHECK(ThreadPool::checkThreadCount(std::to_string(max)).empty());
  for (std::string bad :
       {std::string("0"), std::string("-1"), std::to_string(max + 1), std::string("100000"),
        std::string("99999999999999999999"), std::string("2x"), std::string("")})
    CHECK_THAT(ThreadPool::checkThreadCount(bad),
               Catch::StartsWith(bad + " is not a thread count from 1 to " + std::to_string(max)));
  CHECK_THROWS_WITH(ThreadPool::setGlobalThreads(0), Catch::StartsWith("0 is not a thread count"));
  CHECK_THROWS_WITH(ThreadPool::setGlobalThreads(max + 1),
                    Catch::Contains("is not a thread count"));

  ::setenv("KILN_THREADS", "100000", 1);
  CHECK_THROWS_WITH(ThreadPool::environmentThreads(),
                    Catch::StartsWith("KILN_THREADS=100000: 100000 is not a thread count"));
  ::setenv("KILN_THREADS", "0", 1);
  CHECK_THROWS(ThreadPool::environmentThreads());
  ::setenv("KILN_THREADS", "2", 1);
  CHECK(ThreadPool::environmentThreads() == std::optional<int>(2));
  ::unsetenv("KILN_THREADS");
  CHECK(!ThreadPool::environmentThreads());
}
