// Finding and loading an MNIST-format split. Names follow the distributions people
// actually have: LeCun's originals (train-images-idx3-ubyte[.gz]) and the dotted
// variant some mirrors and Kaggle use (train-images.idx3-ubyte).
#include "kiln/runtime/data/Mnist.h"

#include "kiln/runtime/data/Idx.h"

#include "kiln/ir/Error.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace kiln {

namespace {

std::string findFile(const std::string &dir, Split split, bool images) {
  std::vector<std::string> names = mnistFileNames(split, images);
  for (const std::string &name : names) {
    std::filesystem::path path = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec))
      return path.string();
  }
  std::string tried;
  for (const std::string &name : names)
    tried += (tried.empty() ? "" : ", ") + name;
  fail("MNIST {} {} not found in {}: looked for {} (run scripts/fetch_mnist.sh {} to download "
       "MNIST)",
       split == Split::Train ? "training" : "test", images ? "images" : "labels", dir, tried, dir);
}

} // namespace

std::vector<std::string> mnistFileNames(Split split, bool images) {
  const std::string stem =
      std::string(split == Split::Train ? "train" : "t10k") + (images ? "-images" : "-labels");
  const std::string idx = images ? "idx3-ubyte" : "idx1-ubyte";
  return {stem + "-" + idx, stem + "-" + idx + ".gz", stem + "." + idx, stem + "." + idx + ".gz"};
}

void MnistDataset::read(int64_t i, std::span<float> out) const {
  std::span<const uint8_t> pixels = image(i);
  for (size_t p = 0; p < pixels.size(); ++p)
    out[p] = static_cast<float>(pixels[p]) / 255.0f;
}

std::vector<std::string> reportClassNames(const MnistDataset &data) {
  if (!data.classNames.empty())
    return data.classNames;
  std::vector<std::string> digits;
  for (int i = 0; i < MnistDataset::kNumClasses; ++i)
    digits.push_back(std::to_string(i));
  return digits;
}

std::vector<std::string> fashionMnistClassNames() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

MnistDataset loadMnist(const std::string &dir, Split split) {
  std::string imagesPath = findFile(dir, split, /*images=*/true);
  std::string labelsPath = findFile(dir, split, /*images=*/false);
  MnistDataset data = loadMnistFiles(imagesPath, labelsPath);
  std::string folder = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (folder.empty()) // "dir/" normalizes to a trailing empty component
    folder = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  std::transform(folder.begin(), folder.end(), folder.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (folder.find("fashion") != std::string::npos)
    data.classNames = fashionMnistClassNames();
  return data;
}

Shape mnistSampleShape(const std::string &dir, Split split) {
  std::vector<int64_t> dims = readIdxDims(findFile(dir, split, /*images=*/true), IdxKind::Images);
  return {1, dims[1], dims[2]};
}

MnistDataset loadMnistFiles(const std::string &imagesPath, const std::string &labelsPath) {
  IdxArray images = readIdx(imagesPath, IdxKind::Images);
  IdxArray labels = readIdx(labelsPath, IdxKind::Labels);
  // Both counts sit at byte 4 of their files.
  if (images.dims[0] != labels.dims[0])
    fail("{}: byte 4: {} labels, but {} has {} images", labelsPath, labels.dims[0], imagesPath,
         images.dims[0]);
  constexpr int64_t kLabelsHeader = 8;
  for (size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] >= MnistDataset::kNumClasses)
      fail("{}: byte {}: label {} of sample {} is not a class in 0..{}", labelsPath,
           kLabelsHeader + int64_t(i), labels.data[i], i, MnistDataset::kNumClasses - 1);

  MnistDataset data;
  data.height = images.dims[1];
  data.width = images.dims[2];
  data.images = std::move(images.data);
  data.labels = std::move(labels.data);
  return data;
}

} // namespace kiln
