// ThreadPool: a fixed set of workers woken per parallel loop. Items are handed out one
// at a time through `ticket_` (dynamic scheduling: the machine is shared and cores run
// at uneven speed); the caller takes part and returns as soon as every item is done,
// whether or not every worker woke up in time. Workers spin briefly before sleeping,
// because a training step issues its parallel loops back to back and a condition-
// variable wake-up costs tens of microseconds; briefly, because on a loaded machine a
// spinning worker steals the core the caller needs.
#include "kiln/runtime/ThreadPool.h"

#include "kiln/ir/Error.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <system_error>

#include <sched.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kiln {

namespace {

constexpr int kWorkerSpins = 2000; // ~50 us of pause instructions
constexpr int kCallerSpins = 200;  // before yielding the core while waiting for items

inline void cpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

std::mutex globalMutex;
std::unique_ptr<ThreadPool> globalPool;

uint32_t generationOf(uint64_t ticket) { return static_cast<uint32_t>(ticket >> 32); }

} // namespace

ThreadPool::ThreadPool(int threads) {
  int count = std::max(threads, 1);
  workers_.reserve(static_cast<size_t>(count - 1));
  for (int i = 1; i < count; ++i) {
    try {
      workers_.emplace_back([this] { workerLoop(); });
    } catch (const std::system_error &e) {
      // A destructor does not run for a half-built object: without this, the joinable
      // workers' destruction would call std::terminate (or wait on them forever).
      stopWorkers();
      fail("cannot start thread {} of {} ({})", i + 1, count, e.code().message());
    }
  }
}

ThreadPool::~ThreadPool() { stopWorkers(); }

void ThreadPool::stopWorkers() {
  {
    std::lock_guard lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
  workers_.clear();
}

void ThreadPool::runItems(uint32_t generation, int64_t worker) {
  // Read the job, then prove with each claim that it is still the job of `generation`.
  ParallelBody body = body_.load(std::memory_order_relaxed);
  void *context = context_.load(std::memory_order_relaxed);
  int64_t items = items_.load(std::memory_order_relaxed);
  uint64_t ticket = ticket_.load(std::memory_order_acquire);
  for (;;) {
    if (generationOf(ticket) != generation || int64_t(ticket & 0xffffffffu) >= items)
      return;
    if (!ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel))
      continue; // `ticket` was reloaded
    int64_t item = int64_t(ticket & 0xffffffffu);
    body(context, item, item + 1, worker);
    done_.fetch_add(1, std::memory_order_acq_rel);
    ticket = ticket_.load(std::memory_order_acquire);
  }
}

void ThreadPool::parallelFor(int64_t n, int64_t maxWorkers, ParallelBody body,
                             void *context) noexcept {
  if (n <= 0)
    return;
  int64_t participants = std::min<int64_t>({threads(), std::max<int64_t>(maxWorkers, 1), n});
  std::unique_lock busy(busy_, std::try_to_lock);
  if (participants == 1 || !busy.owns_lock() || n >= (int64_t(1) << 31)) {
    body(context, 0, n, 0);
    return;
  }
  body_.store(body, std::memory_order_relaxed);
  context_.store(context, std::memory_order_relaxed);
  items_.store(n, std::memory_order_relaxed);
  participants_.store(participants, std::memory_order_relaxed);
  joined_.store(1, std::memory_order_relaxed); // the caller is worker 0
  done_.store(0, std::memory_order_relaxed);
  uint32_t generation = generationOf(ticket_.load(std::memory_order_relaxed)) + 1;
  {
    std::lock_guard lock(mutex_); // pairs with the sleepers' predicate check
    ticket_.store(uint64_t(generation) << 32, std::memory_order_release);
  }
  wake_.notify_all();

  runItems(generation, 0); // the caller's share, as worker 0
  for (int spin = 0; done_.load(std::memory_order_acquire) < n; ++spin) {
    if (spin < kCallerSpins)
      cpuRelax();
    else
      std::this_thread::yield();
  }
}

void ThreadPool::workerLoop() {
  uint32_t seen = 0;
  for (;;) {
    for (int i = 0; i < kWorkerSpins; ++i) {
      if (generationOf(ticket_.load(std::memory_order_acquire)) != seen ||
          stop_.load(std::memory_order_relaxed))
        break;
      cpuRelax();
    }
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] {
        return stop_.load(std::memory_order_relaxed) ||
               generationOf(ticket_.load(std::memory_order_acquire)) != seen;
      });
      if (stop_.load(std::memory_order_relaxed))
        return;
    }
    seen = generationOf(ticket_.load(std::memory_order_acquire));
    // An id per participant: ids index per-worker scratch, so workers beyond the job's
    // participant count stay out. An id taken from a newer job than `seen` is wasted:
    // runItems(seen) then finds no item of its generation.
    int64_t id = joined_.fetch_add(1, std::memory_order_relaxed);
    if (id < participants_.load(std::memory_order_relaxed))
      runItems(seen, id);
  }
}

int ThreadPool::hardwareThreads() {
  // The CPUs this process may run on: mpirun binds each rank to its own cores, and more
  // threads than those would take turns on them.
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0)
    return CPU_COUNT(&allowed);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int ThreadPool::maxThreads() { return 4 * hardwareThreads(); }

std::string ThreadPool::checkThreadCount(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size() && value >= 1 && value <= maxThreads())
    return "";
  return fmt::format("{} is not a thread count from 1 to {} (4x the {} hardware threads)", text,
                     maxThreads(), hardwareThreads());
}

std::optional<int> ThreadPool::environmentThreads() {
  const char *env = std::getenv("KILN_THREADS");
  if (!env || !*env)
    return std::nullopt;
  if (std::string why = checkThreadCount(env); !why.empty())
    fail("KILN_THREADS={}: {}", env, why);
  return std::atoi(env);
}

ThreadPool &ThreadPool::global() {
  std::lock_guard lock(globalMutex);
  if (!globalPool)
    globalPool = std::make_unique<ThreadPool>(environmentThreads().value_or(hardwareThreads()));
  return *globalPool;
}

void ThreadPool::setGlobalThreads(int n) {
  if (std::string why = checkThreadCount(std::to_string(n)); !why.empty())
    fail("{}", why);
  std::lock_guard lock(globalMutex);
  if (!globalPool || globalPool->threads() != n) {
    globalPool.reset(); // its workers stop before the new pool's start
    globalPool = std::make_unique<ThreadPool>(n);
  }
}

} // namespace kiln

extern "C" void kiln_parallel_for(kiln::ParallelBody body, void *context, int64_t n,
                                  int64_t maxWorkers) noexcept {
  kiln::ThreadPool::global().parallelFor(n, maxWorkers, body, context);
}
