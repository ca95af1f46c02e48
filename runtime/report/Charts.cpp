// Learning curves: the History fields picked into line-plot panels.
#include "kiln/runtime/report/Charts.h"

#include "kiln/runtime/io/AtomicFile.h"
#include "kiln/runtime/report/LinePlot.h"

namespace kiln {

namespace {

// figsize=(14, 5) at 100 dpi, as in the tutorial.
constexpr int kWidth = 1400, kHeight = 500;

PlotSeries seriesOf(const std::string &name, const History &h, double EpochRecord::*field) {
  PlotSeries s{name, {}, {}};
  for (const EpochRecord &e : h.epochs) {
    s.x.push_back(e.epoch);
    s.y.push_back(e.*field);
  }
  return s;
}

} // namespace

std::string learningCurvesSvg(const std::vector<History> &histories) {
  PlotPanel loss{"Test loss", "Epoch", "Test Loss", {}, LegendCorner::TopRight};
  PlotPanel acc{"Test accuracy", "Epoch", "Test Accuracy", {}, LegendCorner::BottomRight};
  for (const History &h : histories) {
    loss.series.push_back(seriesOf(h.model, h, &EpochRecord::testLoss));
    acc.series.push_back(seriesOf(h.model, h, &EpochRecord::testAcc));
  }
  return renderLinePlotSvg({loss, acc}, kWidth, kHeight);
}

void writeLearningCurvesSvg(const std::string &path, const std::vector<History> &histories) {
  writeFileAtomically(path, learningCurvesSvg(histories));
}

std::string trainTestCurvesSvg(const History &history) {
  PlotPanel loss{"Loss", "Epoch", "Loss", {}, LegendCorner::TopRight};
  loss.series = {seriesOf("train", history, &EpochRecord::trainLoss),
                 seriesOf("test", history, &EpochRecord::testLoss)};
  PlotPanel acc{"Accuracy", "Epoch", "Accuracy", {}, LegendCorner::BottomRight};
  acc.series = {seriesOf("train", history, &EpochRecord::trainAcc),
                seriesOf("test", history, &EpochRecord::testAcc)};
  return renderLinePlotSvg({loss, acc}, kWidth, kHeight + 36, history.model);
}

void writeTrainTestCurvesSvg(const std::string &path, const History &history) {
  writeFileAtomically(path, trainTestCurvesSvg(history));
}

} // namespace kiln
