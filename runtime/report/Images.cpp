// Layout of the PNG figures. Sizes follow from the font: text is drawn at scale 2
// (glyphs 10x14 pixels), titles at scale 3, images at kImageScale.
#include "kiln/runtime/report/Images.h"

#include <png.h>

#include "kiln/ir/Error.h"
#include "kiln/runtime/report/Canvas.h"
#include "kiln/runtime/report/LinePlot.h"

#include <algorithm>
#include <cmath>

namespace kiln {

namespace {

constexpr int kTextScale = 2;
constexpr int kTitleScale = 3;
constexpr Rgb kRed{255, 0, 0}; // matplotlib's color='red'
constexpr Rgb kGrey{90, 90, 90};

/// A titled grid of images with one caption each.
void writeImageGrid(const std::string &path, const std::vector<GrayImage> &images,
                    const std::vector<std::string> &captions, Rgb captionColor,
                    const std::string &title, int columns) {
  assert(images.size() == captions.size() && "writeImageGrid: one caption per image");
  const int pad = 12;
  int titleHeight = Canvas::textHeight(kTitleScale) + 2 * pad;
  int titleWidth = Canvas::textWidth(title, kTitleScale) + 2 * pad;
  if (images.empty()) {
    const char *none = "(none)";
    Canvas canvas(std::max(titleWidth, 200), titleHeight + Canvas::textHeight(kTextScale) + pad);
    canvas.drawTextCentered(canvas.width() / 2, pad, title, kTitleScale, kBlack);
    canvas.drawTextCentered(canvas.width() / 2, titleHeight, none, kTextScale, kGrey);
    canvas.writePng(path);
    return;
  }
  int maxW = 0, maxH = 0, captionW = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    maxW = std::max(maxW, images[i].width * kImageScale);
    maxH = std::max(maxH, images[i].height * kImageScale);
    captionW = std::max(captionW, Canvas::textWidth(captions[i], kTextScale));
  }
  int cols = std::min(columns, static_cast<int>(images.size()));
  int rows = (static_cast<int>(images.size()) + cols - 1) / cols;
  int cellW = std::max(maxW, captionW) + 2 * pad;
  int captionH = Canvas::textHeight(kTextScale) + 8;
  int cellH = captionH + maxH + pad;
  Canvas canvas(std::max(cols * cellW + pad, titleWidth), titleHeight + rows * cellH + pad);
  int left = (canvas.width() - cols * cellW) / 2;
  canvas.drawTextCentered(canvas.width() / 2, pad, title, kTitleScale, kBlack);
  for (size_t i = 0; i < images.size(); ++i) {
    int col = static_cast<int>(i) % cols, row = static_cast<int>(i) / cols;
    int cx = left + col * cellW + cellW / 2;
    int top = titleHeight + row * cellH;
    canvas.drawTextCentered(cx, top, captions[i], kTextScale, captionColor);
    const GrayImage &img = images[i];
    canvas.drawGray(cx - img.width * kImageScale / 2, top + captionH, img.pixels, img.height,
                    img.width, kImageScale);
  }
  canvas.writePng(path);
}

void checkImages(const std::string &path, const std::vector<GrayImage> &images) {
  for (size_t i = 0; i < images.size(); ++i)
    if (images[i].height <= 0 || images[i].width <= 0 ||
        images[i].pixels.size() != size_t(images[i].height) * size_t(images[i].width))
      fail("{}: image {} is {}x{} with {} pixels", path, i, images[i].height, images[i].width,
           images[i].pixels.size());
}

} // namespace

GrayImage GrayImage::fromBytes(std::span<const uint8_t> bytes, int height, int width) {
  if (height <= 0 || width <= 0 || bytes.size() != size_t(height) * size_t(width))
    fail("gray image: {} bytes for a {}x{} image", bytes.size(), height, width);
  return GrayImage{height, width, {bytes.begin(), bytes.end()}};
}

GrayImage GrayImage::readPng(const std::string &path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  // The simplified API reports errors in `image` instead of longjmp'ing through our frames.
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    fail("{}: cannot read as PNG: {}", path, image.message);
  image.format = PNG_FORMAT_GRAY;
  GrayImage gray;
  gray.width = static_cast<int>(image.width);
  gray.height = static_cast<int>(image.height);
  gray.pixels.resize(PNG_IMAGE_SIZE(image));
  png_color black{0, 0, 0};
  if (!png_image_finish_read(&image, &black, gray.pixels.data(), /*row_stride=*/0,
                             /*colormap=*/nullptr)) {
    png_image_free(&image);
    fail("{}: cannot read as PNG: {}", path, image.message);
  }
  return gray;
}

GrayImage GrayImage::fromTensor(const Tensor &image) {
  const Shape &s = image.shape();
  bool ok = s.size() == 2 || (s.size() == 3 && s[0] == 1);
  if (!ok || s.back() <= 0 || s[s.size() - 2] <= 0)
    fail("gray image: expected a tensor of shape [H,W] or [1,H,W], got {}", image.type().str());
  GrayImage out;
  out.height = static_cast<int>(s[s.size() - 2]);
  out.width = static_cast<int>(s.back());
  double lo = image.at(0), hi = image.at(0);
  for (int64_t i = 1; i < image.numElements(); ++i) {
    lo = std::min(lo, image.at(i));
    hi = std::max(hi, image.at(i));
  }
  double range = hi > lo ? hi - lo : 1.0;
  for (int64_t i = 0; i < image.numElements(); ++i)
    out.pixels.push_back(static_cast<uint8_t>(std::lround((image.at(i) - lo) / range * 255.0)));
  return out;
}

void writeMisclassifiedPng(const std::string &path, const std::vector<GrayImage> &images,
                           const std::vector<int> &truths, const std::vector<int> &preds,
                           int maxCount, const std::string &title) {
  if (truths.size() != images.size() || preds.size() != images.size())
    fail("{}: {} images but {} true labels and {} predictions", path, images.size(), truths.size(),
         preds.size());
  checkImages(path, images);
  size_t n = std::min(images.size(), static_cast<size_t>(std::max(maxCount, 0)));
  std::vector<GrayImage> shown(images.begin(), images.begin() + static_cast<ptrdiff_t>(n));
  std::vector<std::string> captions;
  for (size_t i = 0; i < n; ++i)
    captions.push_back(fmt::format("true {} / pred {}", truths[i], preds[i]));
  writeImageGrid(path, shown, captions, kRed, title, /*columns=*/5);
}

void writeSampleGridPng(const std::string &path, const std::vector<GrayImage> &images,
                        const std::vector<int> &labels, const std::string &title, int columns) {
  if (labels.size() != images.size())
    fail("{}: {} images but {} labels", path, images.size(), labels.size());
  if (columns <= 0)
    fail("{}: number of columns must be positive, got {}", path, columns);
  checkImages(path, images);
  std::vector<std::string> captions;
  for (int label : labels)
    captions.push_back(fmt::format("label: {}", label));
  writeImageGrid(path, images, captions, kBlack, title, columns);
}

} // namespace kiln
