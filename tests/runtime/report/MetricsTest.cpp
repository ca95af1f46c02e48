#include "kiln/runtime/report/Metrics.h"

#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

using namespace kiln;
using Catch::Contains;

namespace {
ConfusionMatrix fromLabels(int n, const std::vector<int> &truths, const std::vector<int> &preds) {
  ConfusionMatrix cm(n);
  cm.addAll(truths, preds);
  return cm;
}
} // namespace

TEST_CASE("confusion matrix counts, totals and accuracy", "[report]") {
  ConfusionMatrix cm = fromLabels(3, {0, 1, 2, 2, 2}, {0, 0, 2, 2, 1});
  CHECK(cm.count(0, 0) == 1);
  CHECK(cm.count(1, 0) == 1);
  CHECK(cm.count(2, 2) == 2);
  CHECK(cm.count(2, 1) == 1);
  CHECK(cm.counts() == std::vector<int64_t>{1, 0, 0, 1, 0, 0, 0, 1, 2});
  CHECK(cm.total() == 5);
  CHECK(cm.correct() == 3);
  CHECK(cm.accuracy() == Approx(0.6));
  CHECK(ConfusionMatrix(2).accuracy() == 0.0);
  CHECK_THROWS_WITH(cm.add(3, 0), "confusion matrix: sample (true 3, predicted 0) outside "
                                  "classes 0..2");
  CHECK_THROWS_WITH(cm.add(0, -1), Contains("outside classes"));
  CHECK_THROWS_WITH(cm.addAll({0}, {0, 1}), Contains("1 true labels but 2 predictions"));
  CHECK_THROWS_WITH(ConfusionMatrix(0), Contains("must be positive"));
}

TEST_CASE("per-class and averaged metric values", "[report]") {
  // Hand-computed: class 0 tp=1 predicted=2 actual=1; class 1 tp=0 predicted=1 actual=1;
  // class 2 tp=2 predicted=2 actual=3.
  ClassReport r = classReport(fromLabels(3, {0, 1, 2, 2, 2}, {0, 0, 2, 2, 1}));
  REQUIRE(r.perClass.size() == 3);
  CHECK(r.perClass[0].precision == Approx(0.5));
  CHECK(r.perClass[0].recall == Approx(1.0));
  CHECK(r.perClass[0].f1 == Approx(2.0 / 3.0));
  CHECK(r.perClass[1].precision == 0.0);
  CHECK(r.perClass[1].f1 == 0.0);
  CHECK(r.perClass[2].recall == Approx(2.0 / 3.0));
  CHECK(r.perClass[2].f1 == Approx(0.8));
  CHECK(r.perClass[2].support == 3);
  CHECK(r.accuracy == Approx(0.6));
  CHECK(r.macroAvg.precision == Approx(0.5));
  CHECK(r.macroAvg.recall == Approx((1.0 + 0.0 + 2.0 / 3.0) / 3.0));
  CHECK(r.macroAvg.f1 == Approx((2.0 / 3.0 + 0.8) / 3.0));
  CHECK(r.weightedAvg.precision == Approx(0.7));
  CHECK(r.weightedAvg.recall == Approx(0.6));
  CHECK(r.weightedAvg.f1 == Approx((2.0 / 3.0 + 3 * 0.8) / 5.0));
  CHECK(r.macroAvg.support == 5);
  CHECK(r.weightedAvg.support == 5);
}

TEST_CASE("classification report matches scikit-learn's documented example", "[report]") {
  // The example in scikit-learn's classification_report docstring.
  ConfusionMatrix cm = fromLabels(3, {0, 1, 2, 2, 2}, {0, 0, 2, 2, 1});
  std::string expected = "              precision    recall  f1-score   support\n"
                         "\n"
                         "     class 0       0.50      1.00      0.67         1\n"
                         "     class 1       0.00      0.00      0.00         1\n"
                         "     class 2       1.00      0.67      0.80         3\n"
                         "\n"
                         "    accuracy                           0.60         5\n"
                         "   macro avg       0.50      0.56      0.49         5\n"
                         "weighted avg       0.70      0.60      0.61         5\n";
  CHECK(formatClassificationReport(cm, {"class 0", "class 1", "class 2"}) == expected);
}

TEST_CASE("classification report widens for long names and more digits", "[report]") {
  // cat: p 3/3 r 3/4 f1 6/7; long: p 2/3 r 2/2 f1 4/5; accuracy 5/6.
  ConfusionMatrix cm(2);
  for (auto [t, p] : {std::pair{0, 0}, {0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}})
    cm.add(t, p);
  std::string expected = "                  precision    recall  f1-score   support\n"
                         "\n"
                         "             cat     1.0000    0.7500    0.8571         4\n"
                         "a very long name     0.6667    1.0000    0.8000         2\n"
                         "\n"
                         "        accuracy                         0.8333         6\n"
                         "       macro avg     0.8333    0.8750    0.8286         6\n"
                         "    weighted avg     0.8889    0.8333    0.8381         6\n";
  CHECK(formatClassificationReport(cm, {"cat", "a very long name"}, 4) == expected);
}

TEST_CASE("classification report gives 0.00 on zero division", "[report]") {
  // Class 2 is never true and never predicted: every ratio of it divides by zero.
  ConfusionMatrix cm = fromLabels(3, {0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 1, 1});
  std::string expected = "              precision    recall  f1-score   support\n"
                         "\n"
                         "           0       1.00      0.67      0.80         3\n"
                         "           1       0.75      1.00      0.86         3\n"
                         "           2       0.00      0.00      0.00         0\n"
                         "\n"
                         "    accuracy                           0.83         6\n"
                         "   macro avg       0.58      0.56      0.55         6\n"
                         "weighted avg       0.88      0.83      0.83         6\n";
  CHECK(formatClassificationReport(cm, {"0", "1", "2"}) == expected);
  CHECK_THROWS_WITH(formatClassificationReport(cm, {"0", "1"}),
                    "classification report: 2 class names for 3 classes");
}

TEST_CASE("confusion matrix text table is aligned", "[report]") {
  ConfusionMatrix cm(3);
  for (int i = 0; i < 1135; ++i)
    cm.add(1, 1);
  cm.add(0, 0);
  cm.add(2, 0);
  cm.add(2, 1);
  std::string expected = "true\\pred     0     1     2\n"
                         "        0     1     0     0\n"
                         "        1     0  1135     0\n"
                         "        2     1     1     0\n";
  CHECK(formatConfusionMatrix(cm, {"0", "1", "2"}) == expected);
}
