#include "kiln/runtime/report/History.h"

#include "kiln/ir/Error.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

using namespace kiln;
using Catch::Contains;
using kiln::test::readFile;
using kiln::test::TestDir;
using kiln::test::writeRaw;

namespace {
std::vector<History> sample() {
  return {
      {"MLP",
       {{1, 0.25, 0.925, 0.125, 0.96, 3.5, 0.001}, {2, 0.1, 0.97, 0.0875, 0.9725, 3.25, 0.001}}},
      {"CNN, v2", {{1, 0.2, 0.94, 0.05, 0.985, 40, 0.0005}}}};
}
} // namespace

TEST_CASE("history CSV has a header and one exact row per epoch", "[report]") {
  TestDir dir;
  writeHistoryCsv(dir.file("h.csv"), sample());
  CHECK(readFile(dir.file("h.csv")) ==
        "model,epoch,train_loss,train_acc,test_loss,test_acc,seconds,lr\n"
        "MLP,1,0.25,0.925,0.125,0.96,3.5,0.001\n"
        "MLP,2,0.1,0.97,0.0875,0.9725,3.25,0.001\n"
        "\"CNN, v2\",1,0.2,0.94,0.05,0.985,40,0.0005\n");
}

TEST_CASE("history JSON holds every field and reads back", "[report]") {
  TestDir dir;
  std::string path = dir.file("h.json");
  writeHistoryJson(path, sample());
  auto json = nlohmann::json::parse(readFile(path));
  REQUIRE(json.is_array());
  REQUIRE(json.size() == 2);
  CHECK(json[0]["model"] == "MLP");
  CHECK(json[0]["epochs"][1]["epoch"] == 2);
  CHECK(json[0]["epochs"][1]["test_acc"] == 0.9725);
  CHECK(json[1]["epochs"][0]["lr"] == 0.0005);
  CHECK(json[1]["epochs"][0]["seconds"] == 40.0);

  std::vector<History> back = readHistoryJson(path);
  REQUIRE(back.size() == 2);
  CHECK(back[1].model == "CNN, v2");
  REQUIRE(back[0].epochs.size() == 2);
  CHECK(back[0].epochs[1].trainLoss == 0.1);
  CHECK(back[0].epochs[1].testLoss == 0.0875);
  CHECK(back[0].epochs[1].seconds == 3.25);
}

TEST_CASE("a diverged loss is null in JSON and NaN when read back", "[report]") {
  TestDir dir;
  std::string path = dir.file("nan.json");
  History h{"MLP", {{1, std::numeric_limits<double>::quiet_NaN(), 0.1, 2.3, 0.1, 1, 0.1}}};
  writeHistoryJson(path, {h});
  CHECK(readFile(path).find("\"train_loss\": null") != std::string::npos);
  CHECK(std::isnan(readHistoryJson(path)[0].epochs[0].trainLoss));
}

TEST_CASE("reading a malformed history JSON names the file and the problem", "[report]") {
  TestDir dir;
  std::string path = dir.file("bad.json");
  writeRaw(path, "[{\"model\": \"MLP\", \"epochs\": [{\"epoch\": 1, \"train_loss\": \"x\"}]}]");
  CHECK_THROWS_WITH(readHistoryJson(path),
                    path + ": history 0 epoch 0: 'train_loss' is not a number");
  writeRaw(path, "[{\"model\": 1}]");
  CHECK_THROWS_WITH(readHistoryJson(path), Contains("history 0: expected"));
  writeRaw(path, "[1,");
  CHECK_THROWS_WITH(readHistoryJson(path), Contains("not valid JSON"));
  CHECK_THROWS_WITH(readHistoryJson(dir.file("none.json")), Contains("cannot open"));
}
