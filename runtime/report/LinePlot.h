// A small SVG line-plot renderer: side-by-side panels, each with axes, "nice" ticks, a
// light grid, one polyline per series and a legend. It draws the learning curves of
// Charts.h; matplotlib's defaults (tab10 colours, 5% margins, grid alpha 0.3) are the
// model, so the charts look like the tutorial's.
#pragma once

#include <string>
#include <vector>

namespace kiln {

/// One line: points (x[i], y[i]); non-finite points are skipped.
struct PlotSeries {
  std::string name;
  std::vector<double> x, y;
};

/// Where a panel's legend sits.
enum class LegendCorner { TopRight, BottomRight };

/// One set of axes.
struct PlotPanel {
  std::string title, xLabel, yLabel;
  std::vector<PlotSeries> series;
  LegendCorner legend = LegendCorner::TopRight;
  /// Ticks on the x axis at integers only (epochs).
  bool integerX = true;
};

/// A standalone SVG document of `panels` side by side in a `width` x `height` picture,
/// with an optional overall `title` above them.
std::string renderLinePlotSvg(const std::vector<PlotPanel> &panels, int width, int height,
                              const std::string &title = "");

/// Tick positions covering [lo, hi]: multiples of a step of 1, 2, 2.5 or 5 times a power
/// of ten giving about `target` ticks (integer steps only if `integer`).
std::vector<double> niceTicks(double lo, double hi, int target, bool integer);

} // namespace kiln
