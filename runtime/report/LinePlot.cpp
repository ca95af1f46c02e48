// SVG line plots. Coordinates: each panel gets width / panels.size() pixels; inside it the
// plot area leaves room for the tick labels and axis labels on the left and bottom and for
// the title on top. Data maps linearly into the plot area (y grows upwards).
#include "kiln/runtime/report/LinePlot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln {

namespace {

// matplotlib's tab10 cycle.
constexpr const char *kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr const char *kFont = "DejaVu Sans, Arial, Helvetica, sans-serif";

std::string xmlEscape(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  /// The data range widened by 5% each side (matplotlib's margins); a flat or empty
  /// range gets a unit-sized window so the axis still has ticks.
  Range padded() const {
    if (lo > hi)
      return {0, 1};
    if (lo == hi) {
      double d = lo == 0 ? 0.5 : std::abs(lo) * 0.05;
      return {lo - d, hi + d};
    }
    double m = (hi - lo) * 0.05;
    return {lo - m, hi + m};
  }
};

/// Decimals needed to print multiples of `step` without losing digits.
int decimalsFor(double step) {
  int decimals = 0;
  while (decimals < 10 && std::abs(step * std::pow(10.0, decimals) -
                                   std::round(step * std::pow(10.0, decimals))) > 1e-9)
    ++decimals;
  return decimals;
}

class PanelRenderer {
public:
  PanelRenderer(std::string &out, const PlotPanel &panel, double left, double top, double width,
                double height)
      : out_(out), panel_(panel) {
    x0_ = left + 80;
    x1_ = left + width - 20;
    y0_ = top + 40;
    y1_ = top + height - 55;
    Range xr, yr;
    for (const PlotSeries &s : panel.series)
      for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
          xr.add(s.x[i]);
          yr.add(s.y[i]);
        }
    xRange_ = xr.padded();
    yRange_ = yr.padded();
  }

  void render() {
    double cx = (x0_ + x1_) / 2;
    text(cx, y0_ - 12, panel_.title, 16, "middle");
    text(cx, y1_ + 45, panel_.xLabel, 14, "middle");
    double cy = (y0_ + y1_) / 2;
    out_ += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" font-size=\"14\" "
                        "text-anchor=\"middle\" transform=\"rotate(-90 {:.2f} {:.2f})\">{}"
                        "</text>\n",
                        x0_ - 60, cy, x0_ - 60, cy, xmlEscape(panel_.yLabel));
    axes();
    for (size_t i = 0; i < panel_.series.size(); ++i)
      line(panel_.series[i], kColors[i % std::size(kColors)]);
    legend();
  }

private:
  double mapX(double x) const {
    return x0_ + (x - xRange_.lo) / (xRange_.hi - xRange_.lo) * (x1_ - x0_);
  }
  double mapY(double y) const {
    return y1_ - (y - yRange_.lo) / (yRange_.hi - yRange_.lo) * (y1_ - y0_);
  }

  void text(double x, double y, const std::string &s, int size, const char *anchor) {
    out_ += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" font-size=\"{}\" "
                        "text-anchor=\"{}\">{}</text>\n",
                        x, y, size, anchor, xmlEscape(s));
  }

  void axes() {
    std::vector<double> xt = niceTicks(xRange_.lo, xRange_.hi, 6, panel_.integerX);
    std::vector<double> yt = niceTicks(yRange_.lo, yRange_.hi, 6, false);
    int xDecimals = xt.size() > 1 ? decimalsFor(xt[1] - xt[0]) : 0;
    int yDecimals = yt.size() > 1 ? decimalsFor(yt[1] - yt[0]) : 0;
    out_ += "<g stroke=\"#b0b0b0\" stroke-opacity=\"0.3\" stroke-width=\"0.8\">\n";
    for (double t : xt)
      out_ += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\"/>\n",
                          mapX(t), y0_, y1_);
    for (double t : yt)
      out_ += fmt::format("<line x1=\"{1:.2f}\" y1=\"{0:.2f}\" x2=\"{2:.2f}\" y2=\"{0:.2f}\"/>\n",
                          mapY(t), x0_, x1_);
    out_ += "</g>\n";
    out_ += fmt::format("<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
                        "fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>\n",
                        x0_, y0_, x1_ - x0_, y1_ - y0_);
    out_ += "<g stroke=\"#000000\" stroke-width=\"1\">\n";
    for (double t : xt)
      out_ += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\"/>\n",
                          mapX(t), y1_, y1_ + 5);
    for (double t : yt)
      out_ += fmt::format("<line x1=\"{1:.2f}\" y1=\"{0:.2f}\" x2=\"{2:.2f}\" y2=\"{0:.2f}\"/>\n",
                          mapY(t), x0_ - 5, x0_);
    out_ += "</g>\n";
    for (double t : xt)
      text(mapX(t), y1_ + 20, fmt::format("{:.{}f}", t, xDecimals), 12, "middle");
    for (double t : yt)
      text(x0_ - 8, mapY(t) + 4, fmt::format("{:.{}f}", t, yDecimals), 12, "end");
  }

  void line(const PlotSeries &s, const char *color) {
    std::string points;
    size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
        points +=
            fmt::format("{}{:.2f},{:.2f}", points.empty() ? "" : " ", mapX(s.x[i]), mapY(s.y[i]));
    out_ += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
                        "stroke-linejoin=\"round\" points=\"{}\"><title>{}</title></polyline>\n",
                        color, points, xmlEscape(s.name));
    // Markers keep a one-epoch run (a single point, no visible line) visible.
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
        out_ += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" fill=\"{}\"/>\n",
                            mapX(s.x[i]), mapY(s.y[i]), color);
  }

  void legend() {
    if (panel_.series.empty())
      return;
    size_t longest = 0;
    for (const PlotSeries &s : panel_.series)
      longest = std::max(longest, s.name.size());
    // Text width estimated at 0.6 em per character: SVG cannot measure text up front.
    double w = 50 + 0.6 * 13 * double(longest), rowH = 20;
    double h = 10 + rowH * double(panel_.series.size());
    double left = x1_ - 10 - w;
    double top = panel_.legend == LegendCorner::TopRight ? y0_ + 10 : y1_ - 10 - h;
    out_ += fmt::format("<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
                        "rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.8\" stroke=\"#cccccc\"/>\n",
                        left, top, w, h);
    for (size_t i = 0; i < panel_.series.size(); ++i) {
      double y = top + 5 + rowH * (double(i) + 0.5);
      out_ += fmt::format("<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" "
                          "stroke=\"{}\" stroke-width=\"2\"/>\n",
                          left + 8, y, left + 36, y, kColors[i % std::size(kColors)]);
      text(left + 44, y + 4.5, panel_.series[i].name, 13, "start");
    }
  }

  std::string &out_;
  const PlotPanel &panel_;
  double x0_, x1_, y0_, y1_;
  Range xRange_, yRange_;
};

} // namespace

std::vector<double> niceTicks(double lo, double hi, int target, bool integer) {
  std::vector<double> ticks;
  if (!(hi > lo) || target < 2)
    return ticks;
  // Candidate steps around the raw step; keep the one whose tick count is closest to the
  // target, the larger step on a tie.
  double raw = (hi - lo) / (target - 1);
  int base = static_cast<int>(std::floor(std::log10(raw)));
  // A step is mantissa * 10^exponent; ticks are computed as (k * mantissa) scaled by the
  // power of ten in one rounding, so 3 * 0.2 prints as 0.6, not 0.6000000000000001.
  double bestMantissa = 0;
  int bestExponent = 0, bestDistance = 0;
  auto scaled = [](double v, int exponent) {
    return exponent >= 0 ? v * std::pow(10.0, exponent) : v / std::pow(10.0, -exponent);
  };
  for (int e = base - 1; e <= base + 1; ++e)
    for (double m : {1.0, 2.0, 2.5, 5.0}) {
      double step = scaled(m, e);
      if (integer && (step < 1 || step != std::floor(step)))
        continue;
      double count = std::floor(hi / step + 1e-9) - std::ceil(lo / step - 1e-9) + 1;
      int distance = static_cast<int>(std::abs(count - target));
      double best = scaled(bestMantissa, bestExponent);
      if (bestMantissa == 0 || distance < bestDistance ||
          (distance == bestDistance && step > best)) {
        bestMantissa = m;
        bestExponent = e;
        bestDistance = distance;
      }
    }
  if (bestMantissa == 0) { // integer ticks over a range narrower than every candidate
    bestMantissa = 1;
    bestExponent = 0;
  }
  double step = scaled(bestMantissa, bestExponent);
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) {
    double t = scaled(k * bestMantissa, bestExponent);
    ticks.push_back(t == 0 ? 0.0 : t); // no "-0"
  }
  return ticks;
}

std::string renderLinePlotSvg(const std::vector<PlotPanel> &panels, int width, int height,
                              const std::string &title) {
  std::string out =
      fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                  "viewBox=\"0 0 {0} {1}\" font-family=\"{2}\">\n"
                  "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
                  width, height, kFont);
  double top = 0;
  if (!title.empty()) {
    out += fmt::format("<text x=\"{:.2f}\" y=\"28\" font-size=\"18\" text-anchor=\"middle\">{}"
                       "</text>\n",
                       width / 2.0, xmlEscape(title));
    top = 36;
  }
  double panelWidth = panels.empty() ? width : double(width) / double(panels.size());
  for (size_t i = 0; i < panels.size(); ++i)
    PanelRenderer(out, panels[i], panelWidth * double(i), top, panelWidth, height - top).render();
  out += "</svg>\n";
  return out;
}

} // namespace kiln
