// ThreadPool: a fixed set of workers woken per parallel loop. A loop hands out items
// through one atomic counter (dynamic scheduling: the machine is shared and cores run at
// uneven speed); the caller takes part as worker 0. Workers spin briefly after a loop
// before sleeping, because a training step issues its parallel loops back to back and a
// condition-variable wake-up costs tens of microseconds.
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <memory>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kiln {

namespace {

constexpr int kSpinIterations = 20000;

inline void cpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

std::mutex globalMutex;
std::unique_ptr<ThreadPool> globalPool;

} // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(threads, 1); ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

void ThreadPool::runItems(int64_t worker) {
  for (;;) {
    int64_t item = next_.fetch_add(1, std::memory_order_relaxed);
    if (item >= items_)
      return;
    body_(context_, item, item + 1, worker);
  }
}

void ThreadPool::parallelFor(int64_t n, int64_t maxWorkers, ParallelBody body,
                             void *context) noexcept {
  if (n <= 0)
    return;
  int64_t participants = std::min<int64_t>({threads(), std::max<int64_t>(maxWorkers, 1), n});
  std::unique_lock busy(busy_, std::try_to_lock);
  if (participants == 1 || !busy.owns_lock()) {
    body(context, 0, n, 0);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    body_ = body;
    context_ = context;
    items_ = n;
    participants_ = participants;
    next_.store(0, std::memory_order_relaxed);
    joined_.store(1, std::memory_order_relaxed); // the caller is worker 0
    running_.store(static_cast<int64_t>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runItems(0);
  for (int i = 0; i < kSpinIterations && running_.load(std::memory_order_acquire) != 0; ++i)
    cpuRelax();
  if (running_.load(std::memory_order_acquire) != 0) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return running_.load(std::memory_order_acquire) == 0; });
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    // Spin first: the next loop of a step usually follows within microseconds.
    for (int i = 0; i < kSpinIterations; ++i) {
      if (generation_.load(std::memory_order_acquire) != seen)
        break;
      cpuRelax();
    }
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
      seen = generation_.load(std::memory_order_relaxed);
      if (stop_)
        return;
    }
    int64_t id = joined_.fetch_add(1, std::memory_order_relaxed);
    if (id < participants_)
      runItems(id);
    if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

int ThreadPool::hardwareThreads() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

ThreadPool &ThreadPool::global() {
  std::lock_guard lock(globalMutex);
  if (!globalPool)
    globalPool = std::make_unique<ThreadPool>(hardwareThreads());
  return *globalPool;
}

void ThreadPool::setGlobalThreads(int n) {
  std::lock_guard lock(globalMutex);
  int threads = n > 0 ? n : hardwareThreads();
  if (!globalPool || globalPool->threads() != threads)
    globalPool = std::make_unique<ThreadPool>(threads);
}

} // namespace kiln

extern "C" void kiln_parallel_for(kiln::ParallelBody body, void *context, int64_t n,
                                  int64_t maxWorkers) noexcept {
  kiln::ThreadPool::global().parallelFor(n, maxWorkers, body, context);
}
