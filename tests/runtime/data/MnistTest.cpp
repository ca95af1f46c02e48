// MNIST-format data sets: file-name variants, the consistency checks between images and
// labels, the missing-file message, and (when present) the real MNIST.
#include "DataTestUtil.h"

#include "kiln/runtime/data/Mnist.h"

#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>

using namespace kiln;
using namespace kiln::test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

/// Writes `n` synthetic images and labels of `split` into `dir` under name variant
/// `variant` (an index into mnistFileNames), gzip'ing the .gz variants.
void writeSplit(const DataTempDir &dir, Split split, size_t variant, int64_t n, int64_t height,
                int64_t width) {
  auto write = [&](bool images, const Bytes &bytes) {
    std::string name = mnistFileNames(split, images).at(variant);
    if (name.ends_with(".gz"))
      writeGzip(dir.file(name), bytes);
    else
      writeRaw(dir.file(name), bytes);
  };
  write(true, idxBytes({uint32_t(n), uint32_t(height), uint32_t(width)},
                       syntheticImages(n, height, width)));
  write(false, idxBytes({uint32_t(n)}, syntheticLabels(n)));
}

std::string loadError(const std::string &dir, Split split) {
  try {
    loadMnist(dir, split);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("mnistFileNames lists the usual names", "[data][mnist-format]") {
  CHECK(mnistFileNames(Split::Train, true) ==
        std::vector<std::string>{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                                 "train-images.idx3-ubyte", "train-images.idx3-ubyte.gz"});
  CHECK(mnistFileNames(Split::Test, false) ==
        std::vector<std::string>{"t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz",
                                 "t10k-labels.idx1-ubyte", "t10k-labels.idx1-ubyte.gz"});
}

TEST_CASE("loadMnist finds every name variant, raw or gzip'd", "[data][mnist-format]") {
  size_t variant = GENERATE(range(size_t(0), size_t(4)));
  Split split = GENERATE(Split::Train, Split::Test);
  DataTempDir dir;
  writeSplit(dir, split, variant, 12, 5, 3);
  MnistDataset data = loadMnist(dir.str(), split);
  CHECK(data.size() == 12);
  CHECK(data.height == 5);
  CHECK(data.width == 3);
  CHECK(data.images == syntheticImages(12, 5, 3));
  CHECK(data.labels == syntheticLabels(12));
  CHECK(data.image(2)[0] == 2); // syntheticImages stores the index in pixel 0
}

TEST_CASE("loadMnist explains a missing file and how to fetch MNIST", "[data][mnist-format]") {
  DataTempDir dir;
  CHECK_THAT(loadError(dir.str(), Split::Train),
             Equals("MNIST training images not found in " + dir.str() +
                    ": looked for train-images-idx3-ubyte, train-images-idx3-ubyte.gz, "
                    "train-images.idx3-ubyte, train-images.idx3-ubyte.gz (run "
                    "scripts/fetch_mnist.sh " +
                    dir.str() + " to download MNIST)"));
  // With the images present, the labels are what is missing.
  writeRaw(dir.file("t10k-images-idx3-ubyte"), idxBytes({1, 2, 2}, {0, 1, 2, 3}));
  CHECK_THAT(loadError(dir.str(), Split::Test),
             Contains("MNIST test labels not found") && Contains("t10k-labels.idx1-ubyte.gz"));
}

TEST_CASE("loadMnist rejects image and label counts that differ", "[data][mnist-format]") {
  DataTempDir dir;
  writeRaw(dir.file("train-images-idx3-ubyte"), idxBytes({5, 2, 2}, syntheticImages(5, 2, 2)));
  writeRaw(dir.file("train-labels-idx1-ubyte"), idxBytes({4}, syntheticLabels(4)));
  CHECK_THAT(loadError(dir.str(), Split::Train),
             Equals(dir.file("train-labels-idx1-ubyte") + ": byte 4: 4 labels, but " +
                    dir.file("train-images-idx3-ubyte") + " has 5 images"));
}

TEST_CASE("loadMnist rejects labels outside 0..9", "[data][mnist-format]") {
  DataTempDir dir;
  writeRaw(dir.file("train-images-idx3-ubyte"), idxBytes({4, 2, 2}, syntheticImages(4, 2, 2)));
  writeRaw(dir.file("train-labels-idx1-ubyte"), idxBytes({4}, {1, 9, 12, 0}));
  CHECK_THAT(loadError(dir.str(), Split::Train),
             Equals(dir.file("train-labels-idx1-ubyte") +
                    ": byte 10: label 12 of sample 2 is not a class in 0..9"));
}

TEST_CASE("loadMnist passes on errors of the IDX reader", "[data][mnist-format]") {
  DataTempDir dir;
  writeRaw(dir.file("train-images-idx3-ubyte"), idxBytes({4, 2}, {}));
  writeRaw(dir.file("train-labels-idx1-ubyte"), idxBytes({4}, syntheticLabels(4)));
  CHECK_THAT(loadError(dir.str(), Split::Train),
             Contains("train-images-idx3-ubyte: byte 0: bad magic 0x00000802"));
}

TEST_CASE("loadMnist reads the real MNIST when it is there", "[data][mnist]") {
  const char *env = std::getenv("KILN_MNIST_DIR");
  const std::string dir = env ? env : KILN_DEFAULT_MNIST_DIR;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "train-labels-idx1-ubyte") &&
      !std::filesystem::exists(std::filesystem::path(dir) / "train-labels-idx1-ubyte.gz")) {
    WARN("MNIST not found in " << dir << "; run scripts/fetch_mnist.sh to enable this test");
    return;
  }
  MnistDataset train = loadMnist(dir, Split::Train);
  MnistDataset test = loadMnist(dir, Split::Test);
  CHECK(train.size() == 60000);
  CHECK(test.size() == 10000);
  CHECK(train.height == 28);
  CHECK(train.width == 28);
  CHECK(train.labels[0] == 5);
  CHECK(test.labels[0] == 7);
  // The default Normalization is MNIST's training-set pixel mean and deviation.
  double sum = 0, sumSquares = 0;
  for (uint8_t p : train.images) {
    double v = p / 255.0;
    sum += v;
    sumSquares += v * v;
  }
  const double n = double(train.images.size());
  const double mean = sum / n;
  CHECK(mean == Approx(0.1307).margin(5e-5));
  CHECK(std::sqrt(sumSquares / n - mean * mean) == Approx(0.3081).margin(5e-5));
}

TEST_CASE("loadMnist reads Debian's gzip'd Fashion-MNIST when it is there",
          "[data][fashion-mnist]") {
  const char *env = std::getenv("KILN_FASHION_MNIST_DIR");
  const std::string dir = env ? env : "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(std::filesystem::path(dir) / "t10k-labels-idx1-ubyte.gz")) {
    WARN("Fashion-MNIST not found in " << dir << " (apt-get install dataset-fashion-mnist)");
    return;
  }
  MnistDataset train = loadMnist(dir, Split::Train);
  MnistDataset test = loadMnist(dir, Split::Test);
  CHECK(train.size() == 60000);
  CHECK(test.size() == 10000);
  CHECK(train.height == 28);
  CHECK(train.width == 28);
  CHECK(train.labels[0] == 9); // an ankle boot
  CHECK(test.labels[0] == 9);
  CHECK(reportClassNames(test)[9] == "Ankle boot");
}

TEST_CASE("a folder named for Fashion-MNIST gets its class names, others digits",
          "[data][mnist-format]") {
  DataTempDir dir;
  for (const char *name : {"Fashion-MNIST", "mnist"}) {
    std::filesystem::create_directory(dir.file(name));
    for (Split split : {Split::Train, Split::Test}) {
      auto write = [&](bool images, const Bytes &bytes) {
        writeRaw(dir.file(name) + "/" + mnistFileNames(split, images).front(), bytes);
      };
      write(true, idxBytes({2, 4, 4}, syntheticImages(2, 4, 4)));
      write(false, idxBytes({2}, syntheticLabels(2)));
    }
  }
  MnistDataset fashion = loadMnist(dir.file("Fashion-MNIST") + "/", Split::Test);
  CHECK(reportClassNames(fashion) == fashionMnistClassNames());
  CHECK(fashionMnistClassNames().front() == "T-shirt/top");
  MnistDataset digits = loadMnist(dir.file("mnist"), Split::Test);
  CHECK(digits.classNames.empty());
  CHECK(reportClassNames(digits) ==
        std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
}
