// The learning-curve charts of spec §9-5, as standalone SVG files.
#pragma once

#include "kiln/runtime/report/History.h"

#include <string>
#include <vector>

namespace kiln {

/// Spec §9-5: two panels side by side, test loss and test accuracy per epoch, one line
/// per model with a legend.
std::string learningCurvesSvg(const std::vector<History> &histories);
/// Writes learningCurvesSvg atomically to `path`.
void writeLearningCurvesSvg(const std::string &path, const std::vector<History> &histories);

/// One model's train and test curves: a loss panel and an accuracy panel, each with a
/// train line and a test line (to spot overfitting).
std::string trainTestCurvesSvg(const History &history);
/// Writes trainTestCurvesSvg atomically to `path`.
void writeTrainTestCurvesSvg(const std::string &path, const History &history);

} // namespace kiln
