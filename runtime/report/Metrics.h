// Classification metrics of spec §9-6: the confusion matrix, per-class precision, recall
// and F1, and the two text tables the tutorial prints (scikit-learn's
// classification_report and the confusion matrix).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// Counts of (true class, predicted class) pairs over a fixed set of classes.
class ConfusionMatrix {
public:
  /// An all-zero matrix for classes 0..numClasses-1; numClasses must be positive.
  explicit ConfusionMatrix(int numClasses);

  int numClasses() const { return numClasses_; }
  /// Records one sample; throws kiln::Error if a class is out of range.
  void add(int truth, int pred);
  /// Records a batch of samples; the two vectors must have the same length.
  void addAll(const std::vector<int> &truths, const std::vector<int> &preds);
  /// Samples of class `truth` predicted as `pred`.
  int64_t count(int truth, int pred) const {
    return counts_[static_cast<size_t>(truth * numClasses_ + pred)];
  }
  /// Row-major numClasses x numClasses counts: row = true class, column = predicted.
  const std::vector<int64_t> &counts() const { return counts_; }
  int64_t total() const;
  int64_t correct() const;
  /// correct() / total(), 0 for an empty matrix.
  double accuracy() const;

private:
  int numClasses_;
  std::vector<int64_t> counts_;
};

/// Precision, recall, F1 and support of one class (or an average of classes).
struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;
};

/// The numbers behind the classification report. A zero denominator gives 0, as
/// scikit-learn's zero_division default does.
struct ClassReport {
  std::vector<ClassMetrics> perClass;
  double accuracy = 0;
  ClassMetrics macroAvg;    ///< unweighted mean over all classes
  ClassMetrics weightedAvg; ///< mean weighted by support
};

/// Computes the report over all classes of `cm` (like passing labels=range(n) to
/// scikit-learn, so a class absent from both truths and predictions still counts).
ClassReport classReport(const ConfusionMatrix &cm);

/// The text of scikit-learn's `classification_report(y_true, y_pred,
/// target_names=classNames, digits=digits)`, character for character.
std::string formatClassificationReport(const ConfusionMatrix &cm,
                                       const std::vector<std::string> &classNames, int digits = 2);

/// The confusion matrix as an aligned text table, rows = true class, columns = predicted:
///
///   true\pred    0    1
///           0  973    7
///           1    2 1133
std::string formatConfusionMatrix(const ConfusionMatrix &cm,
                                  const std::vector<std::string> &classNames);

} // namespace kiln
