#include "kiln/runtime/dist/CollectiveDeadline.h"

#include "kiln/ir/Error.h"

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace kiln {

CollectiveDeadline::CollectiveDeadline(std::chrono::duration<double> timeout,
                                       void (*onExpiry)(const std::string &, double))
    : timeout_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout)),
      onExpiry_(onExpiry), thread_([this] { watch(); }) {}

CollectiveDeadline::~CollectiveDeadline() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void CollectiveDeadline::arm(const char *what) {
  {
    std::lock_guard lock(mutex_);
    armed_ = true;
    what_ = what;
    deadline_ = std::chrono::steady_clock::now() + timeout_;
  }
  changed_.notify_all();
}

void CollectiveDeadline::disarm() {
  std::lock_guard lock(mutex_);
  armed_ = false;
}

void CollectiveDeadline::watch() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (!armed_) {
      changed_.wait(lock);
      continue;
    }
    if (changed_.wait_until(lock, deadline_) == std::cv_status::no_timeout)
      continue; // disarmed, re-armed or stopping
    if (armed_ && std::chrono::steady_clock::now() >= deadline_) {
      std::string what = what_;
      double seconds = std::chrono::duration<double>(timeout_).count();
      lock.unlock();
      onExpiry_(what, seconds);
      std::_Exit(1); // onExpiry must not return; if it does, still end the process
    }
  }
}

std::chrono::duration<double> collectiveTimeout() {
  const char *env = std::getenv("KILN_COLLECTIVE_TIMEOUT");
  if (!env || !*env)
    return std::chrono::duration<double>(60);
  char *end = nullptr;
  double seconds = std::strtod(env, &end);
  if (*end || !std::isfinite(seconds) || seconds <= 0)
    fail("KILN_COLLECTIVE_TIMEOUT={}: not a number of seconds > 0", env);
  return std::chrono::duration<double>(seconds);
}

} // namespace kiln
