// A 5x7 bitmap font for the text in kiln's PNG reports (titles, class names, counts),
// plus one row below the baseline for descenders. It covers printable ASCII; anything
// else draws as '?'.
#pragma once

#include <array>
#include <cstdint>

namespace kiln {

inline constexpr int kGlyphWidth = 5;
/// Rows per glyph: 7 above the baseline and 1 for descenders.
inline constexpr int kGlyphHeight = 8;
/// Horizontal distance between glyph origins: the glyph plus one blank column.
inline constexpr int kGlyphAdvance = 6;

/// The rows of `c`, top to bottom; bit 4 of each row is the leftmost pixel.
const std::array<uint8_t, kGlyphHeight> &glyph(char c);

} // namespace kiln
