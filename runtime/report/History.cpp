// CSV and JSON forms of the training history.
#include "kiln/runtime/report/History.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/io/AtomicFile.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace kiln {

namespace {

using Json = nlohmann::ordered_json;

/// RFC 4180: quote a field holding a comma, quote or line break; double inner quotes.
std::string csvField(const std::string &s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos)
    return s;
  std::string quoted = "\"";
  for (char c : s) {
    if (c == '"')
      quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

/// The fields of an epoch record, in CSV column order, with their JSON names.
struct Field {
  const char *name;
  double EpochRecord::*member;
};
constexpr Field kFields[] = {
    {"train_loss", &EpochRecord::trainLoss}, {"train_acc", &EpochRecord::trainAcc},
    {"test_loss", &EpochRecord::testLoss},   {"test_acc", &EpochRecord::testAcc},
    {"seconds", &EpochRecord::seconds},      {"lr", &EpochRecord::lr},
};

} // namespace

std::string historyCsv(const std::vector<History> &histories) {
  std::string text = "model,epoch";
  for (const Field &f : kFields)
    text += fmt::format(",{}", f.name);
  text += "\n";
  for (const History &h : histories)
    for (const EpochRecord &e : h.epochs) {
      // fmt's "{}" is the shortest text that parses back to the same double.
      text += fmt::format("{},{}", csvField(h.model), e.epoch);
      for (const Field &f : kFields)
        text += fmt::format(",{}", e.*f.member);
      text += "\n";
    }
  return text;
}

std::string historyJson(const std::vector<History> &histories) {
  Json all = Json::array();
  for (const History &h : histories) {
    Json epochs = Json::array();
    for (const EpochRecord &e : h.epochs) {
      Json record = {{"epoch", e.epoch}};
      for (const Field &f : kFields) {
        double v = e.*f.member;
        record[f.name] = std::isfinite(v) ? Json(v) : Json(nullptr);
      }
      epochs.push_back(std::move(record));
    }
    all.push_back({{"model", h.model}, {"epochs", std::move(epochs)}});
  }
  try {
    return all.dump(2) + "\n";
  } catch (const Json::type_error &) {
    fail("training history: a model name is not valid UTF-8");
  }
}

void writeHistoryCsv(const std::string &path, const std::vector<History> &histories) {
  writeFileAtomically(path, historyCsv(histories));
}

void writeHistoryJson(const std::string &path, const std::vector<History> &histories) {
  writeFileAtomically(path, historyJson(histories));
}

std::vector<History> readHistoryJson(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail("{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  Json all;
  try {
    all = Json::parse(buffer.str());
  } catch (const Json::parse_error &e) {
    fail("{}: byte {}: not valid JSON", path, e.byte > 0 ? e.byte - 1 : 0);
  }
  auto number = [&](const Json &record, const char *key, size_t model, size_t epoch) {
    if (!record.contains(key))
      fail("{}: history {} epoch {}: missing '{}'", path, model, epoch, key);
    const Json &v = record[key];
    if (v.is_null())
      return std::numeric_limits<double>::quiet_NaN();
    if (!v.is_number())
      fail("{}: history {} epoch {}: '{}' is not a number", path, model, epoch, key);
    return v.get<double>();
  };
  if (!all.is_array())
    fail("{}: expected a JSON array of histories", path);
  std::vector<History> histories;
  for (size_t m = 0; m < all.size(); ++m) {
    const Json &h = all[m];
    if (!h.is_object() || !h.contains("model") || !h["model"].is_string() ||
        !h.contains("epochs") || !h["epochs"].is_array())
      fail("{}: history {}: expected {{\"model\": string, \"epochs\": array}}", path, m);
    History history{h["model"].get<std::string>(), {}};
    const Json &epochs = h["epochs"];
    for (size_t i = 0; i < epochs.size(); ++i) {
      const Json &record = epochs[i];
      if (!record.is_object() || !record.contains("epoch") || !record["epoch"].is_number_integer())
        fail("{}: history {} epoch {}: expected an object with an integer 'epoch'", path, m, i);
      EpochRecord e;
      e.epoch = record["epoch"].get<int>();
      for (const Field &f : kFields)
        e.*f.member = number(record, f.name, m, i);
      history.epochs.push_back(e);
    }
    histories.push_back(std::move(history));
  }
  return histories;
}

} // namespace kiln
