// ThreadPool: the workers behind every parallel loop of JIT-compiled code. Compiled
// kernels reach it through one registered C symbol, kiln_parallel_for, so JIT code never
// sees a C++ object or an exception (DESIGN §7).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kiln {

/// The body of a parallel loop: runs items [begin, end) as participant `worker`
/// (0 <= worker < the maxWorkers of the call), so per-worker scratch can be indexed by it.
using ParallelBody = void (*)(void *context, int64_t begin, int64_t end, int64_t worker);

class ThreadPool {
public:
  /// A pool of `threads` participants: the calling thread plus threads - 1 workers. If a
  /// worker cannot be started, the ones already running are stopped and joined and a
  /// kiln::Error says which start failed and why.
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

  /// The pool JIT code uses: $KILN_THREADS threads if set, else all hardware threads,
  /// until setGlobalThreads says otherwise. kiln::Error if $KILN_THREADS is invalid
  /// (environmentThreads), so call it (or environmentThreads) before JIT code runs.
  static ThreadPool &global();
  /// Resizes the global pool (`--threads N`); kiln::Error unless 1 <= n <= maxThreads().
  /// Must not be called while a parallel loop runs.
  static void setGlobalThreads(int n);
  /// The hardware threads this process may run on (its CPU affinity; at least 1).
  static int hardwareThreads();
  /// The most threads the global pool takes: 4x the hardware threads. More only adds
  /// switching, and a mistyped count would try to start that many threads.
  static int maxThreads();
  /// "" if `text` is a whole number from 1 to maxThreads(), else why not ("0 is not a
  /// thread count from 1 to 8 (4x the 2 hardware threads)").
  static std::string checkThreadCount(std::string_view text);
  /// $KILN_THREADS as a thread count; nullopt when unset or empty. kiln::Error
  /// "KILN_THREADS=...: ..." when it is not a whole number from 1 to maxThreads().
  static std::optional<int> environmentThreads();

private:
  void workerLoop();
  /// Stops and joins the workers (the destructor, or a constructor that failed midway).
  void stopWorkers();
  /// Claims and runs items of job `generation` as participant `worker` until none is
  /// left or the job is over.
  void runItems(uint32_t generation, int64_t worker);

  std::vector<std::thread> workers_;
  std::mutex busy_; ///< held by the thread that owns the current job

  // The current job. `ticket_` packs (generation << 32 | next item): a worker claims an
  // item with a compare-and-swap that also proves the job is still the one whose fields
  // it read, so the caller never waits for workers that arrive late, only for items.
  std::atomic<uint64_t> ticket_{0};
  std::atomic<ParallelBody> body_{nullptr};
  std::atomic<void *> context_{nullptr};
  std::atomic<int64_t> items_{0};
  std::atomic<int64_t> participants_{0};
  std::atomic<int64_t> joined_{0}; ///< participant ids handed out for the current job
  std::atomic<int64_t> done_{0};   ///< items finished in the current job

  std::mutex mutex_; ///< guards sleeping and waking
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
};

} // namespace kiln

/// The one symbol JIT code calls for a parallel loop: ThreadPool::global().parallelFor.
extern "C" void kiln_parallel_for(kiln::ParallelBody body, void *context, int64_t n,
                                  int64_t maxWorkers) noexcept;
