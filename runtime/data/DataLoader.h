// The DataLoader: batches of a Dataset as tensors (images normalized), in an order that is a
// pure function of (seed, epoch), normalized, optionally augmented, and prepared one or
// two batches ahead on a background thread while the current batch trains.
#pragma once

#include "kiln/runtime/data/Augment.h"
#include "kiln/runtime/data/Mnist.h"

#include "kiln/runtime/Tensor.h"

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace kiln {

/// x = (pixel / 255 - mean) / std; the defaults are MNIST's training-set statistics.
struct Normalization {
  float mean = 0.1307f;
  float std = 0.3081f;
};

/// How the loader cuts and prepares an epoch. Augmentation is meant for training
/// loaders only; an evaluation loader leaves it disabled.
struct LoaderOptions {
  int64_t batchSize = 64;
  bool shuffle = true;
  /// Drop the last partial batch instead of serving it (nothing is ever padded).
  bool dropLast = false;
  uint64_t seed = 0;
  Normalization norm;
  Augmentation augment;
  /// Prepare batches on a background thread (same batches as without).
  bool prefetch = true;
  /// Data-parallel training (PyTorch's DistributedSampler, cut per step): the epoch's
  /// order is cut into global batches of `ranks` x batchSize samples, and this loader
  /// serves part `rank` of each, so the ranks' batches of one step are together the
  /// global batch a single process would take. With ranks > 1 the last partial global
  /// batch is dropped (the ranks must take equal batches for the average of their
  /// gradients to be the global one).
  int rank = 0;
  int ranks = 1;
};

/// One batch: B = batchSize, except possibly for the last batch of an epoch.
struct Batch {
  Tensor x;                     ///< f32[B, sample...]; images f32[B,1,H,W], normalized.
  Tensor y;                     ///< i32[B], classes.
  std::vector<int64_t> indices; ///< The dataset index of each sample.
  int64_t epoch = 0;
  int64_t index = 0; ///< Position of the batch within its epoch.
};

/// Serves the batches of one epoch at a time. Not copyable or movable (its prefetch
/// thread refers to it); `data` must outlive it.
class DataLoader {
public:
  /// Fails with a kiln::Error on invalid options (batch size < 1, std <= 0, negative
  /// shift or rotation).
  /// Augmentation needs an image data set.
  DataLoader(const Dataset &data, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader &) = delete;
  DataLoader &operator=(const DataLoader &) = delete;

  /// Begins epoch `epoch` (>= 0), abandoning any batches left of the current one. Its
  /// order depends on (seed, epoch) only, so a resumed run repeats it.
  void startEpoch(int64_t epoch);
  /// The next batch of the epoch, or nullopt after its last batch. Fails if no epoch
  /// was started.
  std::optional<Batch> next();
  /// ceil(size / batchSize), or floor(size / batchSize) with dropLast; with ranks > 1,
  /// floor(size / (ranks x batchSize)).
  int64_t batchesPerEpoch() const;
  /// Samples of an epoch that no rank serves (the dropped partial batch).
  int64_t droppedPerEpoch() const;
  /// The number of samples in the data set.
  int64_t size() const;

private:
  /// Assembles batch `b` of the current epoch; reads only state fixed by startEpoch, so
  /// the prefetch thread may call it.
  Batch makeBatch(int64_t b) const;
  /// Image `sample` of `images`, augmented if enabled, normalized into `out`.
  void normalizeImage(const MnistDataset &images, int64_t sample, std::span<float> out) const;
  void produce();
  void stopPrefetch();

  const Dataset &data_;
  LoaderOptions options_;
  /// Normalized value of each pixel byte, for batches without augmentation.
  std::array<float, 256> normalized_;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
  int64_t nextBatch_ = 0; ///< Without prefetch: the batch next() builds.

  // Prefetch: the thread appends finished batches to queue_ (at most kQueueDepth).
  static constexpr size_t kQueueDepth = 2;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> queue_;
  bool stop_ = false;
  bool done_ = false;
  std::exception_ptr error_;
};

} // namespace kiln
