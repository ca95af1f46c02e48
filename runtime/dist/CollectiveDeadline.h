// A deadline on every collective of a data-parallel run (issue 14: a rank that dies or
// cannot be reached ends the job within 60 s, never hangs it). A rank that dies is
// noticed by mpirun, which ends the job; one that stops answering with its connections
// open (a stopped process, a host cut off without a reset) would leave the others
// waiting inside MPI for ever. So each collective runs under a deadline, and a watchdog
// thread ends the job when one passes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace kiln {

class CollectiveDeadline {
public:
  /// `onExpiry(what, seconds)` runs on the watchdog thread when a collective has not
  /// finished `timeout` after it started; it must end the process.
  CollectiveDeadline(std::chrono::duration<double> timeout,
                     void (*onExpiry)(const std::string &what, double seconds));
  ~CollectiveDeadline();
  CollectiveDeadline(const CollectiveDeadline &) = delete;
  CollectiveDeadline &operator=(const CollectiveDeadline &) = delete;

  /// Runs the collective `call` under the deadline. Collectives never run concurrently
  /// (MPI_THREAD_SERIALIZED), so one armed deadline suffices.
  template <typename F> void run(const char *what, F &&call) {
    arm(what);
    call();
    disarm();
  }

private:
  void arm(const char *what);
  void disarm();
  void watch();

  std::chrono::steady_clock::duration timeout_;
  void (*onExpiry_)(const std::string &, double);
  std::mutex mutex_;
  std::condition_variable changed_;
  bool armed_ = false, stop_ = false;
  const char *what_ = "";
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
};

/// The collective timeout of this process: $KILN_COLLECTIVE_TIMEOUT seconds (a number
/// > 0), else 60. kiln::Error for a value that is not one.
std::chrono::duration<double> collectiveTimeout();

} // namespace kiln
