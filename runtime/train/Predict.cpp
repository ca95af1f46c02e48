#include "kiln/runtime/train/Predict.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/data/Idx.h"
#include "kiln/runtime/report/Images.h"
#include "kiln/runtime/train/Checkpoint.h"
#include "kiln/runtime/train/Compile.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kiln {

namespace {

struct SourcedImage {
  std::string source;
  std::vector<uint8_t> pixels;
};

bool isPng(const std::string &path) {
  return path.size() > 4 && path.substr(path.size() - 4) == ".png";
}

/// Every image of `files`, checked against the model's H x W.
std::vector<SourcedImage> readImages(const std::vector<std::string> &files,
                                     const ModelSpec &model) {
  const Shape &sample = model.sampleShape;
  if (sample.size() != 3 || sample[0] != 1)
    fail("model '{}' takes examples shaped {}, not grey images [1,H,W]", model.name,
         shapeStr(sample));
  const int64_t h = sample[1], w = sample[2];
  std::vector<SourcedImage> images;
  auto check = [&](const std::string &path, int64_t height, int64_t width) {
    if (height != h || width != w)
      fail("{}: the image is {}x{}; model '{}' takes {}x{} images", path, height, width, model.name,
           h, w);
  };
  for (const std::string &path : files) {
    if (isPng(path)) {
      GrayImage image = GrayImage::readPng(path);
      check(path, image.height, image.width);
      images.push_back({path, std::move(image.pixels)});
      continue;
    }
    IdxArray idx = readIdx(path, IdxKind::Images);
    check(path, idx.dims[1], idx.dims[2]);
    const size_t pixels = static_cast<size_t>(h * w);
    for (int64_t i = 0; i < idx.dims[0]; ++i) {
      auto begin = idx.data.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * pixels);
      images.push_back(
          {fmt::format("{}[{}]", path, i), {begin, begin + static_cast<std::ptrdiff_t>(pixels)}});
    }
  }
  return images;
}

std::vector<std::pair<int, double>> topClasses(std::span<const float> logits, int64_t top) {
  const double peak = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t c = 0; c < logits.size(); ++c)
    sum += p[c] = std::exp(double(logits[c]) - peak);
  std::vector<int> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return p[size_t(a)] > p[size_t(b)]; });
  std::vector<std::pair<int, double>> classes;
  for (size_t k = 0; k < order.size() && static_cast<int64_t>(k) < top; ++k)
    classes.emplace_back(order[k], p[size_t(order[k])] / sum);
  return classes;
}

} // namespace

std::vector<Prediction> predictImages(const std::string &checkpoint,
                                      const std::vector<std::string> &files,
                                      const PredictOptions &options) {
  if (files.empty())
    fail("kiln predict: no image given");
  if (options.top < 1)
    fail("--top must be >= 1, got {}", options.top);
  ModelSpec model = checkpointModelSpec(checkpoint, options.model);
  std::vector<SourcedImage> images = readImages(files, model);

  // Batches of at most 1000 images; the last, smaller one gets its own compiled variant.
  constexpr int64_t kBatch = 1000;
  const auto total = static_cast<int64_t>(images.size());
  ParamStore params;
  Graph graph = buildStageGraph(model, Stage::Predict, std::min(total, kBatch));
  loadModelState(checkpoint, graph, params);
  std::vector<Prediction> predictions;
  std::optional<Predictor> predictor;
  for (int64_t begin = 0; begin < total; begin += kBatch) {
    const int64_t count = std::min(kBatch, total - begin);
    if (!predictor || predictor->graph().type(predictor->graph().inputs()[0]).shape[0] != count)
      predictor.emplace(model, count, params, options.backend);
    Shape shape = model.sampleShape;
    shape.insert(shape.begin(), count);
    Tensor x(Type{DType::F32, shape});
    std::span<float> xs = x.data<float>();
    size_t at = 0;
    for (int64_t i = begin; i < begin + count; ++i)
      for (uint8_t p : images[size_t(i)].pixels)
        xs[at++] = (float(p) / 255.0f - options.norm.mean) / options.norm.std;
    Tensor logits = predictor->run(x);
    const auto classes = static_cast<size_t>(model.numClasses);
    for (int64_t i = 0; i < count; ++i)
      predictions.push_back(
          {images[size_t(begin + i)].source,
           topClasses(logits.data<float>().subspan(size_t(i) * classes, classes), options.top)});
  }
  return predictions;
}

} // namespace kiln
