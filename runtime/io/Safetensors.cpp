// Writing safetensors files, and checking a loaded file against a model's tensors. The
// reader, which is mostly validation, lives in SafetensorsRead.cpp.
#include "kiln/runtime/io/Safetensors.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/io/AtomicFile.h"
#include "kiln/runtime/io/SafetensorsFormat.h"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <set>
#include <unordered_map>

namespace kiln {

namespace {

std::string_view fileDTypeOf(const NamedTensor &t) {
  if (t.int64OnDisk)
    return "I64";
  switch (t.tensor.dtype()) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I32:
    return "I32";
  case DType::Bool:
    return "BOOL";
  }
  assert(false && "unknown dtype");
  return "?";
}

uint64_t fileByteSize(const NamedTensor &t) {
  uint64_t elementSize = t.int64OnDisk ? 8 : dtypeSize(t.tensor.dtype());
  return static_cast<uint64_t>(t.tensor.numElements()) * elementSize;
}

void checkWritable(const std::string &path, const std::vector<NamedTensor> &tensors) {
  std::set<std::string_view> names;
  for (const NamedTensor &t : tensors) {
    if (t.name.empty())
      fail("{}: cannot write a tensor with an empty name", path);
    if (t.name == kMetadataKey)
      fail("{}: '{}' is reserved and cannot name a tensor", path, kMetadataKey);
    if (!names.insert(t.name).second)
      fail("{}: tensor '{}': duplicate name", path, t.name);
    if (!t.tensor.defined())
      fail("{}: tensor '{}': has no data", path, t.name);
    if (t.int64OnDisk && t.tensor.dtype() != DType::I32)
      fail("{}: tensor '{}': only an i32 tensor can be stored as I64, not {}", path, t.name,
           t.tensor.type().str());
  }
}

std::string buildHeader(const std::string &path, const std::vector<NamedTensor> &tensors,
                        const std::map<std::string, std::string> &metadata) {
  // ordered_json keeps insertion order, so the header lists tensors in data order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto &[key, value] : metadata)
      meta[key] = value;
    header[kMetadataKey] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const NamedTensor &t : tensors) {
    uint64_t end = offset + fileByteSize(t);
    header[t.name] = {
        {"dtype", fileDTypeOf(t)}, {"shape", t.tensor.shape()}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::type_error &) {
    // The only way dump() fails: a name or metadata string that is not UTF-8.
    fail("{}: a tensor name or metadata string is not valid UTF-8", path);
  }
  // Pad so the data section starts 8-byte aligned, as the format asks.
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

void writeTensorData(ByteSink &sink, const NamedTensor &t) {
  if (!t.int64OnDisk) {
    sink.write({reinterpret_cast<const char *>(t.tensor.raw()), t.tensor.byteSize()});
    return;
  }
  std::span<const int32_t> values = t.tensor.data<int32_t>();
  char chunk[8 * 512];
  size_t used = 0;
  for (int32_t v : values) {
    int64_t wide = v;
    std::memcpy(chunk + used, &wide, 8);
    used += 8;
    if (used == sizeof(chunk)) {
      sink.write({chunk, used});
      used = 0;
    }
  }
  sink.write({chunk, used});
}

} // namespace

void writeSafetensors(const std::string &path, const std::vector<NamedTensor> &tensors,
                      const std::map<std::string, std::string> &metadata,
                      const std::function<void()> &beforeRename) {
  checkWritable(path, tensors);
  std::string header = buildHeader(path, tensors, metadata);
  writeFileAtomically(
      path,
      [&](ByteSink &sink) {
        char length[8];
        storeLittleEndian64(length, header.size());
        sink.write({length, 8});
        sink.write(header);
        for (const NamedTensor &t : tensors)
          writeTensorData(sink, t);
      },
      beforeRename);
}

const Tensor *SafetensorsFile::find(std::string_view name) const {
  for (const NamedTensor &t : tensors)
    if (t.name == name)
      return &t.tensor;
  return nullptr;
}

void checkTensorsMatch(const std::vector<NamedTensor> &expected, const SafetensorsFile &got,
                       const std::string &path, const std::string &modelName) {
  std::unordered_map<std::string_view, const Tensor *> gotByName;
  for (const NamedTensor &t : got.tensors)
    gotByName.emplace(t.name, &t.tensor);
  std::set<std::string_view> expectedNames;
  std::vector<std::string> missing, unexpected, different;
  for (const NamedTensor &want : expected) {
    expectedNames.insert(want.name);
    auto it = gotByName.find(want.name);
    if (it == gotByName.end()) {
      missing.push_back(want.name);
      continue;
    }
    const Tensor &have = *it->second;
    if (have.dtype() != want.tensor.dtype())
      different.push_back(fmt::format("'{}' has type {}, model expects {}", want.name,
                                      have.type().str(), want.tensor.type().str()));
    else if (have.shape() != want.tensor.shape())
      different.push_back(fmt::format("'{}' has shape {}, model expects {}", want.name,
                                      shapeStr(have.shape()), shapeStr(want.tensor.shape())));
  }
  for (const NamedTensor &t : got.tensors)
    if (!expectedNames.count(t.name))
      unexpected.push_back(t.name);
  if (missing.empty() && unexpected.empty() && different.empty())
    return;

  std::vector<std::string> problems;
  if (!missing.empty())
    problems.push_back(fmt::format("missing {}", fmt::join(missing, ", ")));
  if (!unexpected.empty())
    problems.push_back(fmt::format("unexpected {}", fmt::join(unexpected, ", ")));
  problems.insert(problems.end(), different.begin(), different.end());
  std::string model = modelName.empty() ? "the model" : fmt::format("model '{}'", modelName);
  fail("{}: does not match {}: {}", path, model, fmt::join(problems, "; "));
}

} // namespace kiln
