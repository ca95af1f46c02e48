// An RGB raster for the PNG reports: filled rectangles, bitmap-font text, upscaled
// grayscale images, and PNG encoding through libpng.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// An 8-bit sRGB colour.
struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb &) const = default;
};

inline constexpr Rgb kWhite{255, 255, 255};
inline constexpr Rgb kBlack{0, 0, 0};

/// A width x height RGB image. Drawing outside the canvas is clipped.
class Canvas {
public:
  Canvas(int width, int height, Rgb background = kWhite);

  int width() const { return width_; }
  int height() const { return height_; }
  Rgb pixel(int x, int y) const;

  void fillRect(int x, int y, int w, int h, Rgb color);
  /// A one-pixel outline.
  void strokeRect(int x, int y, int w, int h, Rgb color);
  /// Draws `text` with its top-left corner at (x, y), each font pixel a scale x scale
  /// square.
  void drawText(int x, int y, std::string_view text, int scale, Rgb color);
  /// Draws `text` rotated 90 degrees counter-clockwise (reading bottom to top), inside the
  /// box whose top-left corner is (x, y).
  void drawTextVertical(int x, int y, std::string_view text, int scale, Rgb color);
  /// Draws `text` horizontally centred on column cx, top at y.
  void drawTextCentered(int cx, int y, std::string_view text, int scale, Rgb color);
  /// Draws a row-major height x width grayscale image (0 = black) with its top-left
  /// corner at (x, y), each pixel a scale x scale square.
  void drawGray(int x, int y, std::span<const uint8_t> pixels, int height, int width, int scale);

  /// Width in pixels of `text` at `scale`.
  static int textWidth(std::string_view text, int scale);
  /// Height in pixels of a line of text at `scale`.
  static int textHeight(int scale);

  /// The image as PNG bytes.
  std::string encodePng() const;
  /// Writes the PNG atomically to `path`.
  void writePng(const std::string &path) const;

private:
  void set(int x, int y, Rgb color);

  int width_, height_;
  std::vector<uint8_t> rgb_;
};

/// matplotlib's 'Blues' colormap (ColorBrewer's 9 blues, interpolated linearly) at t in
/// [0, 1]: near-white at 0, dark blue at 1.
Rgb bluesColormap(double t);

} // namespace kiln
