// Normalization statistics from a data set: exact on a hand-made IDX folder, refused when
// every pixel is the same, and the published values on MNIST and Fashion-MNIST when they
// are installed.
#include "DataTestUtil.h"

#include "kiln/runtime/data/PixelStats.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>

using namespace kiln;
using namespace kiln::test;

namespace {

/// A folder of two 2x2 training images {0,255,0,255} and {51,51,51,51} (pixel/255:
/// 0,1,0,1 and 0.2 x4) and one test image, in MNIST's file names.
void writeTinyFolder(const DataTempDir &dir) {
  writeRaw(dir.file("train-images-idx3-ubyte"),
           idxBytes({2, 2, 2}, {0, 255, 0, 255, 51, 51, 51, 51}));
  writeRaw(dir.file("train-labels-idx1-ubyte"), idxBytes({2}, {3, 7}));
  writeRaw(dir.file("t10k-images-idx3-ubyte"), idxBytes({1, 2, 2}, {255, 255, 255, 255}));
  writeRaw(dir.file("t10k-labels-idx1-ubyte"), idxBytes({1}, {1}));
}

/// Checks the statistics of the data set in `dir` against published figures, or WARNs
/// when it is not installed.
void checkInstalled(const std::string &dir, const char *what, double mean, double stddev) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "train-labels-idx1-ubyte") &&
      !std::filesystem::exists(std::filesystem::path(dir) / "train-labels-idx1-ubyte.gz")) {
    WARN(what << " not found in " << dir << "; statistics not checked");
    return;
  }
  Normalization n = pixelStatistics(loadMnist(dir, Split::Train));
  CHECK(n.mean == Approx(mean).margin(5e-5));
  CHECK(n.std == Approx(stddev).margin(5e-5));
}

} // namespace

TEST_CASE("pixelStatistics is the mean and std of pixel/255 over the training images",
          "[data][stats]") {
  DataTempDir dir;
  writeTinyFolder(dir);
  MnistDataset train = loadMnist(dir.str(), Split::Train);

  Normalization n = pixelStatistics(train);

  // mean = (0+1+0+1 + 4*0.2)/8 = 0.35; variance = (2*0.35^2 + 2*0.65^2 + 4*0.15^2)/8.
  CHECK(n.mean == Approx(0.35).epsilon(1e-6));
  CHECK(n.std == Approx(std::sqrt(0.1475)).epsilon(1e-6));
}

TEST_CASE("pixelStatistics refuses a data set whose pixels are all equal", "[data][stats]") {
  DataTempDir dir;
  writeTinyFolder(dir);
  CHECK_THROWS_WITH(pixelStatistics(loadMnist(dir.str(), Split::Test)),
                    Catch::Contains("std is 0") && Catch::Contains("--norm-mean"));
  CHECK_THROWS_WITH(pixelStatistics(MnistDataset{}), Catch::Contains("no pixels"));
}

TEST_CASE("pixelStatistics gives the published MNIST and Fashion-MNIST values",
          "[data][stats][mnist][fashion-mnist]") {
  const char *mnist = std::getenv("KILN_MNIST_DIR");
  checkInstalled(mnist ? mnist : KILN_DEFAULT_MNIST_DIR, "MNIST", 0.1307, 0.3081);
  const char *fashion = std::getenv("KILN_FASHION_MNIST_DIR");
  checkInstalled(fashion ? fashion : "/usr/share/datasets/fashion-mnist", "Fashion-MNIST", 0.2860,
                 0.3530);
}
