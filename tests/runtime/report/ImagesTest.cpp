#include "kiln/runtime/report/Images.h"
#include "kiln/runtime/report/BitmapFont.h"
#include "kiln/runtime/report/Canvas.h"

#include "kiln/ir/Error.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>
#include <png.h>

#include <map>
#include <set>

using namespace kiln;
using Catch::Contains;
using kiln::test::TestDir;

namespace {

/// A PNG decoded back through libpng.
struct Decoded {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Rgb at(int x, int y) const {
    size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
  size_t countColor(Rgb c) const {
    size_t n = 0;
    for (size_t i = 0; i < rgb.size(); i += 3)
      n += rgb[i] == c.r && rgb[i + 1] == c.g && rgb[i + 2] == c.b;
    return n;
  }
  size_t distinctColors() const {
    std::set<uint32_t> colors;
    for (size_t i = 0; i < rgb.size(); i += 3)
      colors.insert(uint32_t(rgb[i]) << 16 | uint32_t(rgb[i + 1]) << 8 | rgb[i + 2]);
    return colors.size();
  }
};

Decoded decodePng(const std::string &path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&image, path.c_str()));
  image.format = PNG_FORMAT_RGB;
  Decoded d;
  d.width = int(image.width);
  d.height = int(image.height);
  d.rgb.resize(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, d.rgb.data(), 0, nullptr));
  return d;
}

/// A 28x28 image with a ring of the given gray value on black.
GrayImage ring(uint8_t value) {
  GrayImage g{28, 28, std::vector<uint8_t>(28 * 28, 0)};
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) {
      int d2 = (x - 14) * (x - 14) + (y - 14) * (y - 14);
      if (d2 >= 25 && d2 <= 64)
        g.pixels[size_t(y * 28 + x)] = value;
    }
  return g;
}

size_t nonZero(const GrayImage &g) {
  size_t n = 0;
  for (uint8_t v : g.pixels)
    n += v != 0;
  return n;
}

} // namespace

TEST_CASE("text is drawn from the glyph table, horizontally and vertically", "[report]") {
  Canvas c(20, 20);
  c.drawText(2, 3, "7", 1, kBlack);
  const auto &seven = glyph('7');
  for (int r = 0; r < kGlyphHeight; ++r)
    for (int col = 0; col < kGlyphWidth; ++col) {
      bool on = seven[size_t(r)] & (0x10 >> col);
      CHECK((c.pixel(2 + col, 3 + r) == kBlack) == on);
    }
  CHECK(Canvas::textWidth("ab", 2) == 22);
  // Rotated counter-clockwise: glyph row r becomes column r, glyph column c becomes the
  // row c up from the bottom of the 5-pixel box.
  Canvas v(20, 20);
  v.drawTextVertical(1, 1, "7", 1, kBlack);
  for (int r = 0; r < kGlyphHeight; ++r)
    for (int col = 0; col < kGlyphWidth; ++col) {
      bool on = seven[size_t(r)] & (0x10 >> col);
      CHECK((v.pixel(1 + r, 1 + kGlyphWidth - 1 - col) == kBlack) == on);
    }
  CHECK(glyph('\x01') == glyph('?'));
}

TEST_CASE("the Blues colormap runs from near-white to dark blue", "[report]") {
  CHECK(bluesColormap(0) == Rgb{0xf7, 0xfb, 0xff});
  CHECK(bluesColormap(0.5) == Rgb{0x6b, 0xae, 0xd6});
  CHECK(bluesColormap(1) == Rgb{0x08, 0x30, 0x6b});
  CHECK(bluesColormap(-3) == bluesColormap(0));
  Rgb mid = bluesColormap(1.0 / 16); // halfway between the first two stops
  CHECK(mid == Rgb{0xeb, 0xf3, 0xfb});
}

TEST_CASE("confusion matrix PNG decodes to a heat map with counts", "[report]") {
  TestDir dir;
  std::string path = dir.file("cm.png");
  ConfusionMatrix cm(10);
  for (int c = 0; c < 10; ++c)
    for (int i = 0; i < 100 + 10 * c; ++i)
      cm.add(c, i % 50 == 0 ? (c + 1) % 10 : c);
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i)
    names.push_back(std::to_string(i));
  writeConfusionMatrixPng(path, cm, names, "Improved CNN - MNIST confusion matrix");
  Decoded d = decodePng(path);
  CHECK(d.width >= 600);
  CHECK(d.height >= 600);
  // The largest count's cell is the darkest blue, the zero cells the lightest; both show
  // up as large areas, and the text in them uses the opposite end of the map.
  CHECK(d.countColor(bluesColormap(1.0)) > 2000);
  CHECK(d.countColor(bluesColormap(0.0)) > 50 * 3000);
  CHECK(d.countColor(kBlack) > 500); // labels, ticks and frame
  CHECK(d.distinctColors() > 10);    // the diagonal and the colour bar's gradient
  CHECK_THROWS_WITH(writeConfusionMatrixPng(path, cm, {"a"}, "t"),
                    path + ": 1 class names for 10 classes");
}

TEST_CASE("misclassified PNG shows at most maxCount digits with red titles", "[report]") {
  TestDir dir;
  std::string path = dir.file("wrong.png");
  // Gray value 37 appears nowhere else in the picture, so its pixel count measures how
  // many digits were drawn, at which scale.
  std::vector<GrayImage> images(12, ring(37));
  std::vector<int> truths(12, 3), preds(12, 5);
  writeMisclassifiedPng(path, images, truths, preds);
  Decoded d = decodePng(path);
  size_t perImage = nonZero(ring(37)) * kImageScale * kImageScale;
  CHECK(d.countColor({37, 37, 37}) == 10 * perImage);
  CHECK(d.countColor({255, 0, 0}) > 10 * 60); // ten "true 3 / pred 5" captions
  CHECK(d.width > 5 * 28 * kImageScale);

  writeMisclassifiedPng(path, images, truths, preds, /*maxCount=*/3);
  Decoded three = decodePng(path);
  CHECK(three.countColor({37, 37, 37}) == 3 * perImage);
  // Two rows of five against one row of three: one more row, two fewer columns.
  CHECK(d.height - three.height > 28 * kImageScale);
  CHECK(d.height - three.height < 2 * 28 * kImageScale);
  CHECK(d.width - three.width > 2 * 28 * kImageScale);

  writeMisclassifiedPng(path, {}, {}, {});
  CHECK(decodePng(path).countColor(kBlack) > 0); // title and "(none)"

  CHECK_THROWS_WITH(writeMisclassifiedPng(path, images, truths, {1}),
                    path + ": 12 images but 12 true labels and 1 predictions");
}

TEST_CASE("sample grid PNG draws every image with its label", "[report]") {
  TestDir dir;
  std::string path = dir.file("samples.png");
  std::vector<GrayImage> images(7, ring(200));
  std::vector<int> labels = {0, 1, 2, 3, 4, 5, 6};
  writeSampleGridPng(path, images, labels, "MNIST samples", /*columns=*/4);
  Decoded d = decodePng(path);
  CHECK(d.countColor({200, 200, 200}) == 7 * nonZero(ring(200)) * kImageScale * kImageScale);
  writeSampleGridPng(path, {images[0]}, {0}, "MNIST samples", /*columns=*/4);
  Decoded one = decodePng(path);
  CHECK(d.height - one.height > 28 * kImageScale); // two rows against one
  CHECK(d.height - one.height < 2 * 28 * kImageScale);
  GrayImage bad{28, 28, std::vector<uint8_t>(10)};
  CHECK_THROWS_WITH(writeSampleGridPng(path, {bad}, {1}, "t"), Contains("image 0 is 28x28"));
}

TEST_CASE("gray images from bytes and from normalized tensors", "[report]") {
  std::vector<uint8_t> bytes = {0, 128, 255, 7};
  GrayImage g = GrayImage::fromBytes(bytes, 2, 2);
  CHECK(g.pixels == bytes);
  CHECK_THROWS_WITH(GrayImage::fromBytes(bytes, 3, 2), Contains("4 bytes for a 3x2 image"));

  // MNIST-normalized values: (x - 0.1307) / 0.3081; min maps to 0, max to 255.
  Tensor t({DType::F32, {1, 2, 2}});
  t.set(0, -0.4242);
  t.set(1, 2.8215);
  t.set(2, 0.8);
  t.set(3, -0.4242);
  GrayImage n = GrayImage::fromTensor(t);
  CHECK(n.height == 2);
  CHECK(n.width == 2);
  CHECK(n.pixels == std::vector<uint8_t>{0, 255, 96, 0});
  CHECK_THROWS_WITH(GrayImage::fromTensor(Tensor({DType::F32, {2, 2, 2}})),
                    Contains("[H,W] or [1,H,W]"));
}

TEST_CASE("PNG writes are atomic: a bad path leaves nothing behind", "[report]") {
  TestDir dir;
  Canvas c(4, 4);
  std::string file = dir.file("f");
  c.writePng(file);
  CHECK_THROWS_WITH(c.writePng(file + "/x.png"), Contains("(Not a directory)"));
  CHECK(dir.entries() == std::vector<std::string>{"f"});
  Decoded d = decodePng(file);
  CHECK(d.width == 4);
  CHECK(d.at(3, 3) == kWhite);
}
