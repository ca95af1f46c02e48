// The DataLoader: batch count and coverage, order, normalization, augmentation through
// the loader, and prefetch giving the same batches as the synchronous path.
#include "DataTestUtil.h"

#include "kiln/runtime/data/DataLoader.h"

#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

using namespace kiln;
using namespace kiln::test;
using Catch::Matchers::Contains;

namespace {

/// All batches of `epoch`.
std::vector<Batch> drain(DataLoader &loader, int64_t epoch) {
  loader.startEpoch(epoch);
  std::vector<Batch> batches;
  while (std::optional<Batch> batch = loader.next())
    batches.push_back(std::move(*batch));
  return batches;
}

bool sameTensor(const Tensor &a, const Tensor &b) {
  if (a.type() != b.type())
    return false;
  return std::equal(a.raw(), a.raw() + a.byteSize(), b.raw());
}

bool sameBatches(const std::vector<Batch> &a, const std::vector<Batch> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!sameTensor(a[i].x, b[i].x) || !sameTensor(a[i].y, b[i].y) ||
        a[i].indices != b[i].indices || a[i].epoch != b[i].epoch || a[i].index != b[i].index)
      return false;
  return true;
}

float normalized(uint8_t pixel, Normalization norm = {}) {
  return (float(pixel) / 255.0f - norm.mean) / norm.std;
}

} // namespace

TEST_CASE("DataLoader counts batches with and without dropLast", "[data][loader]") {
  MnistDataset data = syntheticDataset(60000, 1, 1);
  LoaderOptions options;
  options.prefetch = false;
  CHECK(DataLoader(data, options).batchesPerEpoch() == 938);
  CHECK(DataLoader(data, options).size() == 60000);
  options.dropLast = true;
  CHECK(DataLoader(data, options).batchesPerEpoch() == 937);
  options.batchSize = 100;
  CHECK(DataLoader(data, options).batchesPerEpoch() == 600);
}

TEST_CASE("DataLoader covers the data set exactly once per epoch", "[data][loader]") {
  bool prefetch = GENERATE(false, true);
  MnistDataset data = syntheticDataset(1000, 3, 2);
  LoaderOptions options;
  options.batchSize = 64;
  options.prefetch = prefetch;
  options.seed = 11;
  DataLoader loader(data, options);
  std::vector<Batch> batches = drain(loader, 2);
  REQUIRE(batches.size() == 16);
  std::vector<int64_t> seen;
  for (size_t b = 0; b < batches.size(); ++b) {
    const Batch &batch = batches[b];
    const int64_t expected = b + 1 < batches.size() ? 64 : 1000 - 15 * 64; // last keeps 40
    CHECK(batch.epoch == 2);
    CHECK(batch.index == int64_t(b));
    CHECK(batch.x.type() == Type{DType::F32, {expected, 1, 3, 2}});
    CHECK(batch.y.type() == Type{DType::I32, {expected}});
    REQUIRE(int64_t(batch.indices.size()) == expected);
    for (int64_t i = 0; i < expected; ++i) {
      const int64_t sample = batch.indices[size_t(i)];
      CHECK(batch.y.data<int32_t>()[size_t(i)] == data.labels[size_t(sample)]);
      for (int64_t p = 0; p < 6; ++p)
        CHECK(batch.x.data<float>()[size_t(i * 6 + p)] ==
              normalized(data.image(sample)[size_t(p)]));
    }
    seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
  }
  std::sort(seen.begin(), seen.end());
  std::vector<int64_t> all(1000);
  std::iota(all.begin(), all.end(), int64_t(0));
  CHECK(seen == all);
  CHECK_FALSE(loader.next()); // still the end
}

TEST_CASE("DataLoader with dropLast serves only full batches", "[data][loader]") {
  MnistDataset data = syntheticDataset(1000, 2, 2);
  LoaderOptions options;
  options.dropLast = true;
  DataLoader loader(data, options);
  std::vector<Batch> batches = drain(loader, 0);
  REQUIRE(batches.size() == 15);
  std::vector<int64_t> seen;
  for (const Batch &batch : batches) {
    CHECK(batch.x.shape()[0] == 64);
    seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
  }
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(seen.size() == 960);
}

TEST_CASE("DataLoader without shuffle visits samples in order", "[data][loader]") {
  MnistDataset data = syntheticDataset(10, 2, 2);
  LoaderOptions options;
  options.batchSize = 4;
  options.shuffle = false;
  DataLoader loader(data, options);
  std::vector<Batch> batches = drain(loader, 3);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].indices == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(batches[2].indices == std::vector<int64_t>{8, 9});
}

TEST_CASE("DataLoader order is a function of (seed, epoch)", "[data][loader]") {
  MnistDataset data = syntheticDataset(500, 2, 2);
  LoaderOptions options;
  options.seed = 3;
  DataLoader a(data, options), b(data, options);
  std::vector<Batch> epoch1 = drain(a, 1);
  drain(b, 0); // what came before does not matter
  CHECK(sameBatches(epoch1, drain(b, 1)));
  CHECK(epoch1[0].indices != drain(a, 2)[0].indices);
  options.seed = 4;
  DataLoader c(data, options);
  CHECK(epoch1[0].indices != drain(c, 1)[0].indices);
}

TEST_CASE("DataLoader normalizes pixels as (p/255 - mean)/std", "[data][loader]") {
  MnistDataset data;
  data.height = 1;
  data.width = 3;
  data.images = {0, 255, 128};
  data.labels = {4};
  LoaderOptions options;
  options.shuffle = false;
  SECTION("MNIST statistics by default") {
    DataLoader loader(data, options);
    loader.startEpoch(0);
    Batch batch = *loader.next();
    CHECK(batch.x.data<float>()[0] == Approx(-0.4242129));
    CHECK(batch.x.data<float>()[1] == Approx(2.8214867));
    CHECK(batch.x.data<float>()[2] == Approx((128 / 255.0 - 0.1307) / 0.3081));
    CHECK(batch.y.data<int32_t>()[0] == 4);
  }
  SECTION("custom statistics") {
    options.norm = {.mean = 0.5f, .std = 0.5f};
    DataLoader loader(data, options);
    loader.startEpoch(0);
    Batch batch = *loader.next();
    CHECK(batch.x.data<float>()[0] == -1.0f);
    CHECK(batch.x.data<float>()[1] == 1.0f);
  }
}

TEST_CASE("DataLoader augmentation is reproducible and per sample", "[data][loader]") {
  MnistDataset data = syntheticDataset(300, 8, 8);
  LoaderOptions options;
  options.seed = 9;
  options.augment = {.enabled = true, .maxShift = 2, .maxRotationDegrees = 10};
  DataLoader a(data, options), b(data, options);
  std::vector<Batch> augmented = drain(a, 1);
  CHECK(sameBatches(augmented, drain(b, 1)));

  // The same order without augmentation: some images must differ.
  options.augment.enabled = false;
  DataLoader plain(data, options);
  std::vector<Batch> unaugmented = drain(plain, 1);
  REQUIRE(augmented.size() == unaugmented.size());
  CHECK(augmented[0].indices == unaugmented[0].indices);
  CHECK_FALSE(sameTensor(augmented[0].x, unaugmented[0].x));

  // A sample's transform depends on its index, not on the batch it lands in.
  options.augment.enabled = true;
  options.batchSize = 7;
  DataLoader regrouped(data, options);
  std::vector<Batch> other = drain(regrouped, 1);
  const int64_t sample = augmented[0].indices[5];
  auto pixelsOf = [&](const std::vector<Batch> &batches, int64_t s) {
    for (const Batch &batch : batches)
      for (size_t i = 0; i < batch.indices.size(); ++i)
        if (batch.indices[i] == s)
          return std::vector<float>(batch.x.data<float>().begin() + i * 64,
                                    batch.x.data<float>().begin() + (i + 1) * 64);
    return std::vector<float>{};
  };
  CHECK(pixelsOf(augmented, sample) == pixelsOf(other, sample));
}

TEST_CASE("DataLoader augmentation with zero shift and rotation changes nothing",
          "[data][loader]") {
  MnistDataset data = syntheticDataset(100, 6, 5);
  LoaderOptions options;
  options.batchSize = 16;
  DataLoader plain(data, options);
  options.augment = {.enabled = true, .maxShift = 0, .maxRotationDegrees = 0};
  DataLoader identity(data, options);
  CHECK(sameBatches(drain(plain, 0), drain(identity, 0)));
}

TEST_CASE("DataLoader gives the same batches with and without prefetch", "[data][loader]") {
  bool augment = GENERATE(false, true);
  bool dropLast = GENERATE(false, true);
  MnistDataset data = syntheticDataset(777, 5, 5);
  LoaderOptions options;
  options.batchSize = 50;
  options.seed = 17;
  options.dropLast = dropLast;
  options.augment.enabled = augment;
  options.prefetch = false;
  DataLoader sync(data, options);
  options.prefetch = true;
  DataLoader async(data, options);
  for (int64_t epoch : {0, 1, 5})
    CHECK(sameBatches(drain(sync, epoch), drain(async, epoch)));
}

TEST_CASE("DataLoader restarts cleanly in the middle of an epoch", "[data][loader]") {
  bool prefetch = GENERATE(false, true);
  MnistDataset data = syntheticDataset(640, 2, 2);
  LoaderOptions options;
  options.prefetch = prefetch;
  options.batchSize = 32;
  DataLoader loader(data, options), fresh(data, options);
  loader.startEpoch(0);
  for (int i = 0; i < 3; ++i)
    REQUIRE(loader.next());
  std::vector<Batch> rest;
  loader.startEpoch(1);
  while (std::optional<Batch> batch = loader.next())
    rest.push_back(std::move(*batch));
  CHECK(sameBatches(rest, drain(fresh, 1)));
  // Destroyed with a full queue and a producer waiting: must not hang.
  loader.startEpoch(2);
  REQUIRE(loader.next());
}

TEST_CASE("DataLoader reports misuse and bad options", "[data][loader]") {
  MnistDataset data = syntheticDataset(10, 2, 2);
  LoaderOptions options;
  SECTION("next before startEpoch") {
    DataLoader loader(data, options);
    CHECK_THROWS_WITH(loader.next(), Contains("call startEpoch first"));
  }
  SECTION("negative epoch") {
    DataLoader loader(data, options);
    CHECK_THROWS_WITH(loader.startEpoch(-1), Contains("epoch must be >= 0"));
  }
  SECTION("batch size") {
    options.batchSize = 0;
    CHECK_THROWS_WITH(DataLoader(data, options), Contains("batch size must be at least 1"));
  }
  SECTION("std") {
    options.norm.std = 0;
    CHECK_THROWS_WITH(DataLoader(data, options), Contains("std > 0"));
  }
  SECTION("augmentation bounds") {
    options.augment.maxShift = -1;
    CHECK_THROWS_WITH(DataLoader(data, options), Contains("maxShift must be >= 0"));
  }
}

TEST_CASE("DataLoader ranks serve together the global batch of each step", "[data][loader]") {
  // 103 samples, 3 ranks x batch 5: 6 global batches of 15, the last 13 samples dropped.
  MnistDataset data = syntheticDataset(103, 4, 3);
  LoaderOptions global;
  global.seed = 4;
  global.batchSize = 15;
  global.augment = {.enabled = true, .maxShift = 1, .maxRotationDegrees = 5};
  global.dropLast = true;
  DataLoader whole(data, global);
  std::vector<Batch> expected = drain(whole, 2);
  REQUIRE(expected.size() == 6);

  std::vector<std::vector<Batch>> parts;
  for (int rank = 0; rank < 3; ++rank) {
    LoaderOptions options = global;
    options.dropLast = false; // ranks drop the partial global batch by themselves
    options.batchSize = 5;
    options.rank = rank;
    options.ranks = 3;
    DataLoader loader(data, options);
    CHECK(loader.batchesPerEpoch() == 6);
    CHECK(loader.droppedPerEpoch() == 13);
    parts.push_back(drain(loader, 2));
    REQUIRE(parts.back().size() == 6);
  }
  const size_t pixels = 12;
  for (size_t b = 0; b < expected.size(); ++b)
    for (int rank = 0; rank < 3; ++rank) {
      const Batch &part = parts[size_t(rank)][b];
      INFO("step " << b << ", rank " << rank);
      REQUIRE(part.indices.size() == 5);
      for (size_t i = 0; i < 5; ++i) {
        size_t g = size_t(rank) * 5 + i; // its place in the global batch
        CHECK(part.indices[i] == expected[b].indices[g]);
        CHECK(part.y.data<int32_t>()[i] == expected[b].y.data<int32_t>()[g]);
        CHECK(std::equal(part.x.data<float>().begin() + long(i * pixels),
                         part.x.data<float>().begin() + long((i + 1) * pixels),
                         expected[b].x.data<float>().begin() + long(g * pixels)));
      }
    }
}

TEST_CASE("DataLoader refuses a rank outside its ranks", "[data][loader]") {
  MnistDataset data = syntheticDataset(10, 2, 2);
  LoaderOptions options;
  options.rank = 2;
  options.ranks = 2;
  CHECK_THROWS_WITH(DataLoader(data, options), Contains("rank 2 is not one of 2 ranks"));
}
