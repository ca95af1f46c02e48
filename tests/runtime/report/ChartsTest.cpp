#include "kiln/runtime/report/Charts.h"
#include "kiln/runtime/report/LinePlot.h"

#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace kiln;
using kiln::test::readFile;
using kiln::test::TestDir;

namespace {

size_t countOf(const std::string &text, const std::string &needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

/// A minimal XML well-formedness check: tags nest and close, attribute quotes balance,
/// and no raw '&' appears outside an entity.
bool wellFormed(const std::string &xml) {
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = xml.find('<', i)) != std::string::npos) {
    size_t end = xml.find('>', i);
    if (end == std::string::npos)
      return false;
    std::string tag = xml.substr(i + 1, end - i - 1);
    if (countOf(tag, "\"") % 2 != 0)
      return false;
    if (tag.starts_with("/")) {
      if (stack.empty() || stack.back() != tag.substr(1))
        return false;
      stack.pop_back();
    } else if (!tag.ends_with("/")) {
      stack.push_back(tag.substr(0, tag.find(' ')));
    }
    i = end + 1;
  }
  for (size_t at = xml.find('&'); at != std::string::npos; at = xml.find('&', at + 1)) {
    size_t semi = xml.find(';', at);
    if (semi == std::string::npos || semi - at > 6)
      return false;
  }
  return stack.empty();
}

std::vector<History> histories() {
  std::vector<History> hs;
  const char *names[] = {"MLP", "CNN", "Improved CNN"};
  for (int m = 0; m < 3; ++m) {
    History h{names[m], {}};
    for (int e = 1; e <= 10; ++e)
      h.epochs.push_back({e, 0.3 / e, 0.9 + 0.009 * e, 0.1 / e + 0.01 * m,
                          0.97 + 0.002 * e + 0.003 * m, 12, 0.001});
    hs.push_back(h);
  }
  return hs;
}

} // namespace

TEST_CASE("learning curves SVG: two panels, one line per model per panel, legend", "[report]") {
  TestDir dir;
  std::string path = dir.file("curves.svg");
  writeLearningCurvesSvg(path, histories());
  std::string svg = readFile(path);
  CHECK(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(svg.ends_with("</svg>\n"));
  CHECK(wellFormed(svg));
  CHECK(countOf(svg, "<polyline") == 6);
  // Ten points per line.
  size_t at = svg.find("points=\"");
  REQUIRE(at != std::string::npos);
  std::string points = svg.substr(at + 8, svg.find('"', at + 8) - at - 8);
  CHECK(countOf(points, ",") == 10);
  for (const char *text : {">Test loss<", ">Test accuracy<", ">Epoch<", ">Test Loss<",
                           ">Test Accuracy<", ">Improved CNN<"})
    CHECK(svg.find(text) != std::string::npos);
  // Legend entries: one per model in each panel (the polyline titles repeat the names).
  CHECK(countOf(svg, ">MLP<") == 4);
}

TEST_CASE("learning curves escape names and skip non-finite points", "[report]") {
  History h{"A&B <test>",
            {{1, 1, 0.5, 2, 0.5, 1, 0.1},
             {2, 1, 0.6, std::numeric_limits<double>::quiet_NaN(), 0.6, 1, 0.1},
             {3, 1, 0.7, 1, 0.7, 1, 0.1}}};
  std::string svg = learningCurvesSvg({h});
  CHECK(wellFormed(svg));
  CHECK(svg.find("A&amp;B &lt;test&gt;") != std::string::npos);
  CHECK(svg.find("nan") == std::string::npos);
  size_t at = svg.find("points=\"");
  std::string points = svg.substr(at + 8, svg.find('"', at + 8) - at - 8);
  CHECK(countOf(points, ",") == 2); // the NaN loss of epoch 2 is left out
}

TEST_CASE("train-vs-test curves: a train and a test line in each panel", "[report]") {
  TestDir dir;
  std::string path = dir.file("tt.svg");
  writeTrainTestCurvesSvg(path, histories()[2]);
  std::string svg = readFile(path);
  CHECK(wellFormed(svg));
  CHECK(countOf(svg, "<polyline") == 4);
  CHECK(svg.find(">Improved CNN<") != std::string::npos);
  CHECK(countOf(svg, ">train<") == 4);
}

TEST_CASE("nice ticks are round numbers covering the range", "[report]") {
  CHECK(niceTicks(0, 1, 6, false) == std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0});
  CHECK(niceTicks(0.55, 10.45, 6, true) == std::vector<double>{2, 4, 6, 8, 10});
  std::vector<double> t = niceTicks(0.9712, 0.9968, 6, false);
  REQUIRE(t.size() == 5);
  CHECK(t.front() == Approx(0.975));
  CHECK(t[1] - t[0] == Approx(0.005));
  CHECK(niceTicks(-1, 1, 5, false) == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  CHECK(niceTicks(1, 1, 6, false).empty());
  CHECK(niceTicks(0.6, 1.4, 6, true) == std::vector<double>{1});
}
