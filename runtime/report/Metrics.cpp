// Metric arithmetic follows scikit-learn's precision_recall_fscore_support, and the report
// text its classification_report, so kiln's output can be compared with the tutorial's
// line by line.
#include "kiln/runtime/report/Metrics.h"

#include "kiln/ir/Error.h"

#include <algorithm>
#include <numeric>

namespace kiln {

ConfusionMatrix::ConfusionMatrix(int numClasses) : numClasses_(numClasses) {
  if (numClasses <= 0)
    fail("confusion matrix: number of classes must be positive, got {}", numClasses);
  counts_.assign(static_cast<size_t>(numClasses) * static_cast<size_t>(numClasses), 0);
}

void ConfusionMatrix::add(int truth, int pred) {
  if (truth < 0 || truth >= numClasses_ || pred < 0 || pred >= numClasses_)
    fail("confusion matrix: sample (true {}, predicted {}) outside classes 0..{}", truth, pred,
         numClasses_ - 1);
  ++counts_[static_cast<size_t>(truth * numClasses_ + pred)];
}

void ConfusionMatrix::addAll(const std::vector<int> &truths, const std::vector<int> &preds) {
  if (truths.size() != preds.size())
    fail("confusion matrix: {} true labels but {} predictions", truths.size(), preds.size());
  for (size_t i = 0; i < truths.size(); ++i)
    add(truths[i], preds[i]);
}

int64_t ConfusionMatrix::total() const {
  return std::accumulate(counts_.begin(), counts_.end(), int64_t(0));
}

int64_t ConfusionMatrix::correct() const {
  int64_t sum = 0;
  for (int c = 0; c < numClasses_; ++c)
    sum += count(c, c);
  return sum;
}

double ConfusionMatrix::accuracy() const {
  int64_t n = total();
  return n == 0 ? 0.0 : double(correct()) / double(n);
}

namespace {
double ratio(int64_t num, int64_t den) { return den == 0 ? 0.0 : double(num) / double(den); }
} // namespace

ClassReport classReport(const ConfusionMatrix &cm) {
  int n = cm.numClasses();
  ClassReport report;
  int64_t total = cm.total();
  for (int c = 0; c < n; ++c) {
    int64_t tp = cm.count(c, c), predicted = 0, actual = 0;
    for (int k = 0; k < n; ++k) {
      predicted += cm.count(k, c);
      actual += cm.count(c, k);
    }
    ClassMetrics m;
    m.precision = ratio(tp, predicted);
    m.recall = ratio(tp, actual);
    // F1 as 2tp / (2tp + fp + fn), the form scikit-learn uses; equal to 2pr / (p + r).
    m.f1 = ratio(2 * tp, predicted + actual); // 2tp + fp + fn = predicted + actual
    m.support = actual;
    report.perClass.push_back(m);
  }
  report.accuracy = cm.accuracy();
  // Sum, then divide, as numpy's average does.
  for (const ClassMetrics &m : report.perClass) {
    report.macroAvg.precision += m.precision;
    report.macroAvg.recall += m.recall;
    report.macroAvg.f1 += m.f1;
    report.weightedAvg.precision += m.precision * double(m.support);
    report.weightedAvg.recall += m.recall * double(m.support);
    report.weightedAvg.f1 += m.f1 * double(m.support);
  }
  for (double *v : {&report.macroAvg.precision, &report.macroAvg.recall, &report.macroAvg.f1})
    *v /= n;
  for (double *v :
       {&report.weightedAvg.precision, &report.weightedAvg.recall, &report.weightedAvg.f1})
    *v = total == 0 ? 0.0 : *v / double(total);
  report.macroAvg.support = report.weightedAvg.support = total;
  return report;
}

std::string formatClassificationReport(const ConfusionMatrix &cm,
                                       const std::vector<std::string> &classNames, int digits) {
  if (static_cast<int>(classNames.size()) != cm.numClasses())
    fail("classification report: {} class names for {} classes", classNames.size(),
         cm.numClasses());
  if (digits < 0)
    fail("classification report: digits must be non-negative, got {}", digits);
  ClassReport r = classReport(cm);

  // scikit-learn: width = max(longest name, len("weighted avg"), digits); a row is the
  // name right-aligned in `width`, then each column right-aligned in 9 after two spaces
  // (one after the name, one before each column).
  size_t width = std::string_view("weighted avg").size();
  for (const std::string &name : classNames)
    width = std::max(width, name.size());
  width = std::max(width, static_cast<size_t>(digits));

  auto row = [&](std::string_view name, const ClassMetrics &m) {
    return fmt::format("{:>{}}  {:>9.{}f} {:>9.{}f} {:>9.{}f} {:>9}\n", name, width, m.precision,
                       digits, m.recall, digits, m.f1, digits, m.support);
  };
  std::string text = fmt::format("{:>{}}  {:>9} {:>9} {:>9} {:>9}\n\n", "", width, "precision",
                                 "recall", "f1-score", "support");
  for (size_t c = 0; c < classNames.size(); ++c)
    text += row(classNames[c], r.perClass[c]);
  text += "\n";
  // The accuracy row leaves the precision and recall columns blank.
  text += fmt::format("{:>{}}  {:>9} {:>9} {:>9.{}f} {:>9}\n", "accuracy", width, "", "",
                      r.accuracy, digits, cm.total());
  text += row("macro avg", r.macroAvg);
  text += row("weighted avg", r.weightedAvg);
  return text;
}

std::string formatConfusionMatrix(const ConfusionMatrix &cm,
                                  const std::vector<std::string> &classNames) {
  if (static_cast<int>(classNames.size()) != cm.numClasses())
    fail("confusion matrix: {} class names for {} classes", classNames.size(), cm.numClasses());
  constexpr std::string_view kCorner = "true\\pred";
  size_t labelWidth = kCorner.size(), cellWidth = 1;
  for (const std::string &name : classNames) {
    labelWidth = std::max(labelWidth, name.size());
    cellWidth = std::max(cellWidth, name.size());
  }
  for (int64_t v : cm.counts())
    cellWidth = std::max(cellWidth, fmt::formatted_size("{}", v));

  std::string text = fmt::format("{:>{}}", kCorner, labelWidth);
  for (const std::string &name : classNames)
    text += fmt::format("  {:>{}}", name, cellWidth);
  text += "\n";
  for (int t = 0; t < cm.numClasses(); ++t) {
    text += fmt::format("{:>{}}", classNames[static_cast<size_t>(t)], labelWidth);
    for (int p = 0; p < cm.numClasses(); ++p)
      text += fmt::format("  {:>{}}", cm.count(t, p), cellWidth);
    text += "\n";
  }
  return text;
}

} // namespace kiln
