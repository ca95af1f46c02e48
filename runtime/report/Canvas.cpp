// Raster drawing and PNG output. Encoding uses libpng's simplified write API, which
// reports errors in the png_image instead of longjmp'ing through our frames.
#include "kiln/runtime/report/Canvas.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/io/AtomicFile.h"
#include "kiln/runtime/report/BitmapFont.h"

#include <png.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace kiln {

Canvas::Canvas(int width, int height, Rgb background) : width_(width), height_(height) {
  if (width <= 0 || height <= 0)
    fail("canvas: size {}x{} must be positive", width, height);
  rgb_.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (size_t i = 0; i < rgb_.size(); i += 3) {
    rgb_[i] = background.r;
    rgb_[i + 1] = background.g;
    rgb_[i + 2] = background.b;
  }
}

Rgb Canvas::pixel(int x, int y) const {
  assert(x >= 0 && x < width_ && y >= 0 && y < height_ && "Canvas::pixel: out of bounds");
  size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width_) + static_cast<size_t>(x)) * 3;
  return {rgb_[i], rgb_[i + 1], rgb_[i + 2]};
}

void Canvas::set(int x, int y, Rgb color) {
  if (x < 0 || x >= width_ || y < 0 || y >= height_)
    return;
  size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width_) + static_cast<size_t>(x)) * 3;
  rgb_[i] = color.r;
  rgb_[i + 1] = color.g;
  rgb_[i + 2] = color.b;
}

void Canvas::fillRect(int x, int y, int w, int h, Rgb color) {
  int xa = std::max(x, 0), xb = std::min(x + w, width_);
  int ya = std::max(y, 0), yb = std::min(y + h, height_);
  for (int yy = ya; yy < yb; ++yy)
    for (int xx = xa; xx < xb; ++xx)
      set(xx, yy, color);
}

void Canvas::strokeRect(int x, int y, int w, int h, Rgb color) {
  fillRect(x, y, w, 1, color);
  fillRect(x, y + h - 1, w, 1, color);
  fillRect(x, y, 1, h, color);
  fillRect(x + w - 1, y, 1, h, color);
}

void Canvas::drawText(int x, int y, std::string_view text, int scale, Rgb color) {
  for (char c : text) {
    const auto &rows = glyph(c);
    for (int r = 0; r < kGlyphHeight; ++r)
      for (int col = 0; col < kGlyphWidth; ++col)
        if (rows[static_cast<size_t>(r)] & (0x10 >> col))
          fillRect(x + col * scale, y + r * scale, scale, scale, color);
    x += kGlyphAdvance * scale;
  }
}

void Canvas::drawTextVertical(int x, int y, std::string_view text, int scale, Rgb color) {
  // Rotating counter-clockwise maps glyph column c to screen row (from the bottom) and
  // glyph row r to screen column; the text starts at the bottom of its box.
  int bottom = y + textWidth(text, scale);
  for (char c : text) {
    const auto &rows = glyph(c);
    for (int r = 0; r < kGlyphHeight; ++r)
      for (int col = 0; col < kGlyphWidth; ++col)
        if (rows[static_cast<size_t>(r)] & (0x10 >> col))
          fillRect(x + r * scale, bottom - (col + 1) * scale, scale, scale, color);
    bottom -= kGlyphAdvance * scale;
  }
}

void Canvas::drawTextCentered(int cx, int y, std::string_view text, int scale, Rgb color) {
  drawText(cx - textWidth(text, scale) / 2, y, text, scale, color);
}

void Canvas::drawGray(int x, int y, std::span<const uint8_t> pixels, int height, int width,
                      int scale) {
  assert(pixels.size() == static_cast<size_t>(height) * static_cast<size_t>(width) &&
         "Canvas::drawGray: pixel count does not match the size");
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      uint8_t v = pixels[static_cast<size_t>(r * width + c)];
      fillRect(x + c * scale, y + r * scale, scale, scale, Rgb{v, v, v});
    }
}

int Canvas::textWidth(std::string_view text, int scale) {
  if (text.empty())
    return 0;
  return (static_cast<int>(text.size()) * kGlyphAdvance - (kGlyphAdvance - kGlyphWidth)) * scale;
}

int Canvas::textHeight(int scale) { return kGlyphHeight * scale; }

std::string Canvas::encodePng() const {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width_);
  image.height = static_cast<png_uint_32>(height_);
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  // First call measures, second call writes.
  if (!png_image_write_to_memory(&image, nullptr, &size, /*convert_to_8_bit=*/0, rgb_.data(),
                                 /*row_stride=*/0, /*colormap=*/nullptr))
    fail("PNG encoding failed: {}", image.message);
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&image, bytes.data(), &size, 0, rgb_.data(), 0, nullptr))
    fail("PNG encoding failed: {}", image.message);
  bytes.resize(size);
  return bytes;
}

void Canvas::writePng(const std::string &path) const {
  std::string bytes;
  try {
    bytes = encodePng();
  } catch (const Error &e) {
    fail("{}: {}", path, e.what());
  }
  writeFileAtomically(path, bytes);
}

Rgb bluesColormap(double t) {
  // matplotlib's _Blues_data: ColorBrewer Blues, 9 classes.
  static constexpr Rgb kStops[] = {{0xf7, 0xfb, 0xff}, {0xde, 0xeb, 0xf7}, {0xc6, 0xdb, 0xef},
                                   {0x9e, 0xca, 0xe1}, {0x6b, 0xae, 0xd6}, {0x42, 0x92, 0xc6},
                                   {0x21, 0x71, 0xb5}, {0x08, 0x51, 0x9c}, {0x08, 0x30, 0x6b}};
  constexpr int kLast = static_cast<int>(std::size(kStops)) - 1;
  if (!(t > 0))
    return kStops[0];
  if (t >= 1)
    return kStops[kLast];
  double pos = t * kLast;
  int i = static_cast<int>(pos);
  double f = pos - i;
  auto mix = [f](uint8_t a, uint8_t b) {
    return static_cast<uint8_t>(std::lround(a + (double(b) - double(a)) * f));
  };
  const Rgb &a = kStops[i], &b = kStops[i + 1];
  return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

} // namespace kiln
