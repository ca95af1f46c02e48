#include "kiln/runtime/BucketedAllReduce.h"

#include "kiln/runtime/Communicator.h"

#include <fmt/core.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {

namespace {

struct Bucket {
  enum class State { Empty, Filling, Queued, Reduced };
  State state = State::Empty;
  DType dtype = DType::F32;
  bool mean = false;
  struct Member {
    void *out;
    size_t offset, bytes;
  };
  std::vector<Member> members;
  std::vector<std::byte> staging; ///< the members' operands, back to back (kept, not cleared)
  size_t used = 0;                ///< bytes of staging the members fill
};

/// The buckets of the running step and the thread that reduces them. Only the thread
/// running the step adds and waits; the communication thread takes queued buckets in
/// the order they were closed.
class Reducer {
public:
  ~Reducer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    queued_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }

  void add(int64_t index, const void *in, void *out, int64_t count, DType dtype, bool mean,
           bool closes) {
    Bucket &bucket = at(index);
    if (bucket.state == Bucket::State::Empty) {
      bucket.state = Bucket::State::Filling;
      bucket.dtype = dtype;
      bucket.mean = mean;
      bucket.members.clear();
      bucket.used = 0;
    }
    size_t bytes = static_cast<size_t>(count) * dtypeSize(dtype);
    size_t offset = bucket.used;
    bucket.used += bytes;
    if (bucket.staging.size() < bucket.used)
      bucket.staging.resize(bucket.used);
    std::memcpy(bucket.staging.data() + offset, in, bytes);
    bucket.members.push_back({out, offset, bytes});
    if (!closes)
      return;
    {
      std::lock_guard lock(mutex_);
      bucket.state = Bucket::State::Queued;
      queue_.push_back(&bucket);
      if (!thread_.joinable())
        thread_ = std::thread([this] { serve(); });
    }
    queued_.notify_one();
  }

  void wait(int64_t index) {
    auto start = std::chrono::steady_clock::now();
    Bucket &bucket = at(index);
    if (bucket.state == Bucket::State::Empty || bucket.state == Bucket::State::Filling) {
      fmt::print(stderr,
                 "kiln: internal error: the step waits for all_reduce bucket {}, which "
                 "it did not close\n",
                 index);
      std::abort();
    }
    {
      std::unique_lock lock(mutex_);
      reduced_.wait(lock, [&] { return bucket.state != Bucket::State::Queued; });
    }
    bucket.state = Bucket::State::Empty;
    waited_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  double waitedSeconds() const { return waited_; }

private:
  Bucket &at(int64_t index) {
    std::lock_guard lock(mutex_); // the vector may grow while the thread holds a bucket
    while (buckets_.size() <= static_cast<size_t>(index))
      buckets_.push_back(std::make_unique<Bucket>());
    return *buckets_[static_cast<size_t>(index)];
  }

  void serve() {
    for (;;) {
      Bucket *bucket = nullptr;
      {
        std::unique_lock lock(mutex_);
        queued_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty())
          return;
        bucket = queue_.front();
        queue_.pop_front();
      }
      reduce(*bucket);
      {
        std::lock_guard lock(mutex_);
        bucket->state = Bucket::State::Reduced;
      }
      reduced_.notify_all();
    }
  }

  static void reduce(Bucket &bucket) {
    try {
      int64_t count = static_cast<int64_t>(bucket.used / dtypeSize(bucket.dtype));
      communicator().allReduceSum(bucket.staging.data(), count, bucket.dtype);
      if (bucket.mean)
        divideByRanks(bucket.staging.data(), count, bucket.dtype);
      for (const Bucket::Member &m : bucket.members)
        std::memcpy(m.out, bucket.staging.data() + m.offset, m.bytes);
    } catch (const std::exception &e) {
      // The shape rule admits only what the communicator reduces; nothing can be
      // returned to a step that has gone on.
      fmt::print(stderr, "kiln: internal error: all_reduce of a bucket: {}\n", e.what());
      std::abort();
    }
  }

  std::mutex mutex_;
  std::condition_variable queued_, reduced_;
  std::deque<Bucket *> queue_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::thread thread_;
  bool stop_ = false;
  double waited_ = 0;
};

Reducer &reducer() {
  static Reducer instance;
  return instance;
}

} // namespace

void startBucketedAllReduce(int64_t bucket, const void *in, void *out, int64_t count, DType dtype,
                            bool mean, bool closes) {
  if (communicator().size() == 1) {
    if (in != out)
      std::memmove(out, in, static_cast<size_t>(count) * dtypeSize(dtype));
    return;
  }
  reducer().add(bucket, in, out, count, dtype, mean, closes);
}

void waitBucket(int64_t bucket) {
  if (communicator().size() > 1)
    reducer().wait(bucket);
}

double bucketWaitSeconds() { return communicator().size() > 1 ? reducer().waitedSeconds() : 0; }

} // namespace kiln

extern "C" void kiln_all_reduce_start(int64_t bucket, const void *in, void *out, int64_t count,
                                      int32_t dtype, int32_t mean, int32_t closes) noexcept {
  kiln::startBucketedAllReduce(bucket, in, out, count, static_cast<kiln::DType>(dtype), mean != 0,
                               closes != 0);
}

extern "C" void kiln_all_reduce_wait(int64_t bucket) noexcept { kiln::waitBucket(bucket); }
