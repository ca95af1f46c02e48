// The confusion-matrix heat map, laid out like scikit-learn's ConfusionMatrixDisplay:
// left to right "True" (vertical), class names, the matrix, the colour bar and its tick
// labels; below the matrix the class names and "Predicted"; the title on top.
#include "kiln/ir/Error.h"
#include "kiln/runtime/report/Canvas.h"
#include "kiln/runtime/report/Images.h"
#include "kiln/runtime/report/LinePlot.h"

#include <algorithm>

namespace kiln {

void writeConfusionMatrixPng(const std::string &path, const ConfusionMatrix &cm,
                             const std::vector<std::string> &classNames, const std::string &title) {
  const int n = cm.numClasses();
  if (static_cast<int>(classNames.size()) != n)
    fail("{}: {} class names for {} classes", path, classNames.size(), n);
  const int text = 2, pad = 16, gap = 8;
  const int cell = std::clamp(600 / n, 24, 72);
  const int lineH = Canvas::textHeight(text);

  int64_t lo = *std::min_element(cm.counts().begin(), cm.counts().end());
  int64_t hi = *std::max_element(cm.counts().begin(), cm.counts().end());
  std::vector<double> ticks = niceTicks(double(lo), double(hi), 6, /*integer=*/true);
  if (ticks.empty())
    ticks.push_back(double(lo));
  int nameW = 0, tickW = 0;
  for (const std::string &name : classNames)
    nameW = std::max(nameW, Canvas::textWidth(name, text));
  for (double t : ticks)
    tickW = std::max(tickW, Canvas::textWidth(fmt::format("{}", int64_t(t)), text));

  const int matrixX = pad + lineH + 2 * gap + nameW + 12;
  const int matrixSize = n * cell;
  const int barX = matrixX + matrixSize + 3 * gap, barW = 20;
  int width = barX + barW + gap + tickW + pad;
  int titleScale = Canvas::textWidth(title, 3) + 2 * pad <= width ? 3 : text;
  width = std::max(width, Canvas::textWidth(title, titleScale) + 2 * pad);
  const int matrixY = pad + Canvas::textHeight(titleScale) + 2 * gap;
  const int height = matrixY + matrixSize + gap + lineH + 2 * gap + lineH + pad;
  Canvas canvas(width, height);

  canvas.drawTextCentered(width / 2, pad, title, titleScale, kBlack);
  const Rgb darkText = bluesColormap(1.0), lightText = bluesColormap(0.0);
  // ConfusionMatrixDisplay's rule: dark text below the midpoint of the value range.
  double threshold = (double(lo) + double(hi)) / 2;
  for (int t = 0; t < n; ++t)
    for (int p = 0; p < n; ++p) {
      int64_t v = cm.count(t, p);
      double level = hi > lo ? double(v - lo) / double(hi - lo) : 0.0;
      int x = matrixX + p * cell, y = matrixY + t * cell;
      canvas.fillRect(x, y, cell, cell, bluesColormap(level));
      std::string label = fmt::format("{}", v);
      for (int scale = text; scale >= 1; --scale)
        if (Canvas::textWidth(label, scale) <= cell - 4) {
          canvas.drawTextCentered(x + cell / 2, y + (cell - Canvas::textHeight(scale)) / 2, label,
                                  scale, double(v) < threshold ? darkText : lightText);
          break;
        }
    }
  canvas.strokeRect(matrixX - 1, matrixY - 1, matrixSize + 2, matrixSize + 2, kBlack);

  // Axis ticks and class names.
  for (int i = 0; i < n; ++i) {
    const std::string &name = classNames[static_cast<size_t>(i)];
    int center = i * cell + cell / 2;
    canvas.fillRect(matrixX - 5, matrixY + center, 4, 1, kBlack);
    canvas.drawText(matrixX - 12 - Canvas::textWidth(name, text), matrixY + center - lineH / 2,
                    name, text, kBlack);
    canvas.fillRect(matrixX + center, matrixY + matrixSize + 1, 1, 4, kBlack);
    canvas.drawTextCentered(matrixX + center, matrixY + matrixSize + gap, name, text, kBlack);
  }
  canvas.drawTextVertical(pad, matrixY + (matrixSize - Canvas::textWidth("True", text)) / 2, "True",
                          text, kBlack);
  canvas.drawTextCentered(matrixX + matrixSize / 2, matrixY + matrixSize + 3 * gap + lineH,
                          "Predicted", text, kBlack);

  // Colour bar: top row is the maximum.
  for (int row = 0; row < matrixSize; ++row) {
    double level = matrixSize > 1 ? 1.0 - double(row) / double(matrixSize - 1) : 1.0;
    canvas.fillRect(barX, matrixY + row, barW, 1, bluesColormap(level));
  }
  canvas.strokeRect(barX - 1, matrixY - 1, barW + 2, matrixSize + 2, kBlack);
  for (double t : ticks) {
    double level = hi > lo ? (t - double(lo)) / double(hi - lo) : 0.5;
    int y = matrixY + static_cast<int>(std::lround((1.0 - level) * (matrixSize - 1)));
    canvas.fillRect(barX + barW + 1, y, 4, 1, kBlack);
    canvas.drawText(barX + barW + gap, y - lineH / 2, fmt::format("{}", int64_t(t)), text, kBlack);
  }
  canvas.writePng(path);
}

} // namespace kiln
