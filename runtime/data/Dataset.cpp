#include "kiln/runtime/data/Dataset.h"

#include "kiln/ir/Error.h"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace kiln {

TensorDataset::TensorDataset(Tensor x, std::vector<int32_t> labels, int64_t numClasses)
    : x_(std::move(x)), labels_(std::move(labels)), numClasses_(numClasses) {
  const Type &type = x_.type();
  if (type.dtype != DType::F32 || type.rank() < 2)
    fail("TensorDataset: examples must be f32[N, ...] of rank >= 2, got {}", type.str());
  if (static_cast<int64_t>(labels_.size()) != type.shape[0])
    fail("TensorDataset: {} examples but {} labels", type.shape[0], labels_.size());
  if (numClasses_ == 0 && !labels_.empty())
    numClasses_ = *std::max_element(labels_.begin(), labels_.end()) + 1;
  for (size_t i = 0; i < labels_.size(); ++i)
    if (labels_[i] < 0 || labels_[i] >= numClasses_)
      fail("TensorDataset: label {} of example {} is not a class in 0..{}", labels_[i], i,
           numClasses_ - 1);
}

Shape TensorDataset::sampleShape() const {
  const Shape &shape = x_.type().shape;
  return {shape.begin() + 1, shape.end()};
}

void TensorDataset::read(int64_t i, std::span<float> out) const {
  const size_t n = out.size();
  std::span<const float> all = x_.data<float>();
  std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * n), n,
              out.begin());
}

namespace {

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    std::string_view field = line.substr(start, comma - start);
    while (!field.empty() && (field.front() == ' ' || field.front() == '\t'))
      field.remove_prefix(1);
    while (!field.empty() && (field.back() == ' ' || field.back() == '\t' || field.back() == '\r'))
      field.remove_suffix(1);
    fields.push_back(field);
    if (comma == std::string_view::npos)
      return fields;
    start = comma + 1;
  }
}

bool parseNumber(std::string_view field, double &value) {
  if (!field.empty() && field.front() == '+')
    field.remove_prefix(1);
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  return ec == std::errc() && end == field.data() + field.size();
}

} // namespace

TensorDataset loadCsvDataset(const std::string &path, int64_t numClasses) {
  std::ifstream in(path);
  if (!in)
    fail("{}: cannot open the CSV file", path);
  std::vector<float> features;
  std::vector<int32_t> labels;
  size_t columns = 0;
  std::string line;
  for (int64_t lineNo = 1; std::getline(in, line); ++lineNo) {
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    std::vector<std::string_view> fields = splitFields(line);
    std::vector<double> values(fields.size());
    size_t bad = fields.size();
    for (size_t c = 0; c < fields.size() && bad == fields.size(); ++c)
      if (!parseNumber(fields[c], values[c]))
        bad = c;
    if (bad != fields.size()) {
      if (columns == 0 && labels.empty() && lineNo == 1)
        continue; // a header
      fail("{}:{}: column {}: '{}' is not a number", path, lineNo, bad + 1, fields[bad]);
    }
    if (columns == 0) {
      if (fields.size() < 2)
        fail("{}:{}: a row needs at least one feature and a label, got {} column", path, lineNo,
             fields.size());
      columns = fields.size();
    } else if (fields.size() != columns) {
      fail("{}:{}: {} columns, but the first row has {}", path, lineNo, fields.size(), columns);
    }
    double label = values.back();
    if (label < 0 || label != static_cast<double>(static_cast<int32_t>(label)) ||
        (numClasses > 0 && label >= static_cast<double>(numClasses)))
      fail("{}:{}: label {} is not a class{}", path, lineNo, fields.back(),
           numClasses > 0 ? fmt::format(" in 0..{}", numClasses - 1) : " (an integer >= 0)");
    labels.push_back(static_cast<int32_t>(label));
    for (size_t c = 0; c + 1 < columns; ++c)
      features.push_back(static_cast<float>(values[c]));
  }
  if (labels.empty())
    fail("{}: no rows", path);
  const auto rows = static_cast<int64_t>(labels.size());
  Tensor x(Type{DType::F32, {rows, static_cast<int64_t>(columns) - 1}});
  std::copy(features.begin(), features.end(), x.data<float>().begin());
  return TensorDataset(std::move(x), std::move(labels), numClasses);
}

} // namespace kiln
