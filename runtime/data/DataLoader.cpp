// Batches are built by makeBatch(b) alone, from the epoch's order fixed in startEpoch,
// so the synchronous path (next() calls it) and the prefetch path (a thread calls it for
// b = 0, 1, ... and hands the results over through a queue of two) give the same batches.
#include "kiln/runtime/data/DataLoader.h"

#include "kiln/runtime/data/Shuffle.h"

#include "kiln/ir/Error.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

namespace kiln {

DataLoader::DataLoader(const Dataset &data, LoaderOptions options)
    : data_(data), options_(options) {
  if (options_.batchSize < 1)
    fail("DataLoader: batch size must be at least 1, got {}", options_.batchSize);
  if (options_.ranks < 1 || options_.rank < 0 || options_.rank >= options_.ranks)
    fail("DataLoader: rank {} is not one of {} ranks", options_.rank, options_.ranks);
  if (!(options_.norm.std > 0) || !std::isfinite(options_.norm.std) ||
      !std::isfinite(options_.norm.mean))
    fail("DataLoader: normalization needs a finite mean and std > 0, got mean {} std {}",
         options_.norm.mean, options_.norm.std);
  if (options_.augment.maxShift < 0)
    fail("DataLoader: augmentation maxShift must be >= 0, got {}", options_.augment.maxShift);
  if (!(options_.augment.maxRotationDegrees >= 0) || options_.augment.maxRotationDegrees > 180)
    fail("DataLoader: augmentation maxRotationDegrees must be in [0, 180], got {}",
         options_.augment.maxRotationDegrees);
  if (options_.augment.enabled && !data_.imageSet())
    fail("DataLoader: augmentation needs an image data set (shifts and rotations of grey "
         "images)");
  for (int p = 0; p < 256; ++p)
    normalized_[size_t(p)] = (float(p) / 255.0f - options_.norm.mean) / options_.norm.std;
}

DataLoader::~DataLoader() { stopPrefetch(); }

int64_t DataLoader::size() const { return data_.size(); }

int64_t DataLoader::batchesPerEpoch() const {
  const int64_t n = data_.size(), b = options_.batchSize;
  if (options_.ranks > 1)
    return n / (b * options_.ranks);
  return options_.dropLast ? n / b : (n + b - 1) / b;
}

int64_t DataLoader::droppedPerEpoch() const {
  int64_t served = batchesPerEpoch() * options_.batchSize * options_.ranks;
  return std::max<int64_t>(0, data_.size() - served);
}

void DataLoader::startEpoch(int64_t epoch) {
  if (epoch < 0)
    fail("DataLoader::startEpoch: epoch must be >= 0, got {}", epoch);
  stopPrefetch();
  epoch_ = epoch;
  if (options_.shuffle) {
    order_ = epochPermutation(data_.size(), options_.seed, epoch);
  } else {
    order_.resize(size_t(data_.size()));
    std::iota(order_.begin(), order_.end(), int64_t(0));
  }
  nextBatch_ = 0;
  if (options_.prefetch)
    worker_ = std::thread(&DataLoader::produce, this);
}

std::optional<Batch> DataLoader::next() {
  if (epoch_ < 0)
    fail("DataLoader::next: no epoch started (call startEpoch first)");
  if (!options_.prefetch) {
    if (nextBatch_ >= batchesPerEpoch())
      return std::nullopt;
    return makeBatch(nextBatch_++);
  }
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (queue_.empty()) {
    if (error_)
      std::rethrow_exception(error_);
    return std::nullopt;
  }
  Batch batch = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return batch;
}

void DataLoader::produce() {
  const int64_t batches = batchesPerEpoch();
  for (int64_t b = 0; b < batches; ++b) {
    std::optional<Batch> batch;
    try {
      batch = makeBatch(b);
    } catch (...) {
      // Handed to next(), which rethrows it after the batches made before it.
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
      done_ = true;
      changed_.notify_all();
      return;
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() < kQueueDepth || stop_; });
    if (stop_)
      return;
    queue_.push_back(std::move(*batch));
    changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  done_ = true;
  changed_.notify_all();
}

void DataLoader::stopPrefetch() {
  if (worker_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }
  queue_.clear();
  stop_ = false;
  done_ = false;
  error_ = nullptr;
}

Batch DataLoader::makeBatch(int64_t b) const {
  const int64_t n = data_.size();
  const int64_t begin = (b * options_.ranks + options_.rank) * options_.batchSize;
  const int64_t count = std::min(options_.batchSize, n - begin);
  assert(count > 0 && "DataLoader::makeBatch: batch index past the end of the epoch");
  Batch batch;
  batch.epoch = epoch_;
  batch.index = b;
  Shape shape = data_.sampleShape();
  shape.insert(shape.begin(), count);
  batch.x = Tensor(Type{DType::F32, shape});
  batch.y = Tensor(Type{DType::I32, {count}});
  batch.indices.assign(order_.begin() + begin, order_.begin() + begin + count);

  std::span<float> x = batch.x.data<float>();
  std::span<int32_t> y = batch.y.data<int32_t>();
  const size_t elements = size_t(numElements(data_.sampleShape()));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t sample = batch.indices[size_t(i)];
    y[size_t(i)] = data_.label(sample);
    std::span<float> out = x.subspan(size_t(i) * elements, elements);
    if (const MnistDataset *images = data_.imageSet())
      normalizeImage(*images, sample, out);
    else
      data_.read(sample, out);
  }
  return batch;
}

void DataLoader::normalizeImage(const MnistDataset &images, int64_t sample,
                                std::span<float> out) const {
  std::span<const uint8_t> image = images.image(sample);
  if (options_.augment.enabled) {
    AugmentParams params = drawAugmentation(options_.augment, options_.seed, epoch_, sample);
    transformImage(image, images.height, images.width, params, out);
    // The same expression as normalized_, so an identity transform changes nothing.
    const Normalization norm = options_.norm;
    for (float &v : out)
      v = (v / 255.0f - norm.mean) / norm.std;
  } else {
    for (size_t p = 0; p < image.size(); ++p)
      out[p] = normalized_[image[p]];
  }
}

} // namespace kiln
