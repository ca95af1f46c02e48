// ThreadPool: the workers behind every parallel loop of JIT-compiled code. Compiled
// kernels reach it through one registered C symbol, kiln_parallel_for, so JIT code never
// sees a C++ object or an exception (DESIGN §7).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {

/// The body of a parallel loop: runs items [begin, end) as participant `worker`
/// (0 <= worker < the maxWorkers of the call), so per-worker scratch can be indexed by it.
using ParallelBody = void (*)(void *context, int64_t begin, int64_t end, int64_t worker);

class ThreadPool {
public:
  /// A pool of `threads` participants: the calling thread plus threads - 1 workers.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Participants in a parallel loop, the caller included.
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs body over items [0, n), handing out one item at a time to at most
  /// min(threads(), maxWorkers, n) participants; returns when every item is done. The
  /// items a worker runs depend on timing, so a body's result must depend only on the
  /// item, never on the worker. Called while the pool is busy (from a worker, or from a
  /// second thread), it runs every item on the calling thread as worker 0.
  void parallelFor(int64_t n, int64_t maxWorkers, ParallelBody body, void *context) noexcept;

  /// The pool JIT code uses; all hardware threads unless setGlobalThreads said otherwise.
  static ThreadPool &global();
  /// Resizes the global pool (`--threads N`); n <= 0 means all hardware threads. Must
  /// not be called while a parallel loop runs.
  static void setGlobalThreads(int n);
  /// The hardware thread count (at least 1).
  static int hardwareThreads();

private:
  void workerLoop();
  void runItems(int64_t worker);

  std::vector<std::thread> workers_;
  std::mutex busy_; ///< held by the thread that owns the current job

  // The current job, published under mutex_ with a new generation_.
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> generation_{0}; ///< bumped (under mutex_) per job and at exit
  bool stop_ = false;
  ParallelBody body_ = nullptr;
  void *context_ = nullptr;
  int64_t items_ = 0;
  int64_t participants_ = 0;
  std::atomic<int64_t> next_{0};    ///< next item to hand out
  std::atomic<int64_t> joined_{0};  ///< participants that took an id
  std::atomic<int64_t> running_{0}; ///< workers still inside the job
};

} // namespace kiln

/// The one symbol JIT code calls for a parallel loop: ThreadPool::global().parallelFor.
extern "C" void kiln_parallel_for(kiln::ParallelBody body, void *context, int64_t n,
                                  int64_t maxWorkers) noexcept;
