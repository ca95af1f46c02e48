// Reading safetensors files. A checkpoint may come from anywhere (a truncated download,
// another tool, a hand edit), so every field is validated before a byte is trusted:
//   1. the 8-byte header length fits the file (and a sane limit);
//   2. the header is a JSON object without duplicate keys;
//   3. each entry has a known dtype, a shape and data_offsets that agree with each other
//      and lie inside the data section;
//   4. sorted by offset, the tensors tile the data section exactly: no overlap, no gap, no
//      trailing bytes;
//   5. the values themselves fit kiln's types (I64 -> i32, BOOL is 0 or 1).
#include "kiln/runtime/io/Safetensors.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/io/SafetensorsFormat.h"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln {

namespace {

using Json = nlohmann::ordered_json;

std::string readWholeFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail("{}: cannot open ({})", path, std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      fail("{}: read failed ({})", path, std::strerror(err));
    }
    if (n == 0)
      break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

/// How a safetensors dtype loads into kiln.
struct FileDType {
  DType dtype;
  size_t bytes; // per element on disk
  bool int64 = false;
};

std::optional<FileDType> loadableDType(std::string_view name) {
  if (name == "F32")
    return FileDType{DType::F32, 4};
  if (name == "F64")
    return FileDType{DType::F64, 8};
  if (name == "I32")
    return FileDType{DType::I32, 4};
  if (name == "I64")
    return FileDType{DType::I32, 8, /*int64=*/true};
  if (name == "BOOL")
    return FileDType{DType::Bool, 1};
  return std::nullopt;
}

bool isKnownUnsupportedDType(std::string_view name) {
  static constexpr std::string_view kOthers[] = {
      "F16", "BF16", "U8",      "I8",      "U16",     "I16",     "U32",    "U64",
      "C64", "F4",   "F6_E2M3", "F6_E3M2", "F8_E5M2", "F8_E4M3", "F8_E8M0"};
  return std::find(std::begin(kOthers), std::end(kOthers), name) != std::end(kOthers);
}

/// One header entry after validation, before its data is read.
struct Entry {
  std::string name;
  FileDType type;
  Shape shape;
  uint64_t begin, end;
};

class Reader {
public:
  Reader(const std::string &path, std::string bytes) : path_(path), bytes_(std::move(bytes)) {}

  SafetensorsFile read() {
    Json header = parseHeader();
    SafetensorsFile file;
    std::vector<Entry> entries;
    for (auto &[key, value] : header.items()) {
      if (key == kMetadataKey)
        file.metadata = parseMetadata(value);
      else
        entries.push_back(parseEntry(key, value));
    }
    checkLayout(entries);
    for (const Entry &e : entries)
      file.tensors.push_back(loadTensor(e));
    return file;
  }

private:
  template <typename... Args>
  [[noreturn]] void failAt(uint64_t byte, fmt::format_string<Args...> format, Args &&...args) {
    fail("{}: byte {}: {}", path_, byte, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  [[noreturn]] void failTensor(const std::string &name, fmt::format_string<Args...> format,
                               Args &&...args) {
    fail("{}: tensor '{}': {}", path_, name, fmt::format(format, std::forward<Args>(args)...));
  }

  Json parseHeader() {
    if (bytes_.size() < 8)
      failAt(0, "file is {} bytes, too short for the 8-byte header length", bytes_.size());
    uint64_t length = loadLittleEndian64(bytes_.data());
    if (length > bytes_.size() - 8)
      failAt(0, "header length {} exceeds the {} bytes after it", length, bytes_.size() - 8);
    if (length > kMaxHeaderBytes)
      failAt(0, "header length {} exceeds the limit of {} bytes", length, kMaxHeaderBytes);
    headerLength_ = length;
    std::string_view text(bytes_.data() + 8, length);

    // The parser callback sees every key; duplicates among the top-level keys would
    // otherwise silently overwrite each other.
    std::set<std::string> seen;
    std::optional<std::string> duplicate;
    auto callback = [&](int depth, Json::parse_event_t event, Json &parsed) {
      if (event == Json::parse_event_t::key && depth == 1 && !duplicate &&
          !seen.insert(parsed.get<std::string>()).second)
        duplicate = parsed.get<std::string>();
      return true;
    };
    Json header;
    try {
      header = Json::parse(text, callback);
    } catch (const Json::parse_error &e) {
      // e.byte counts from 1 within the header text.
      uint64_t at = 8 + (e.byte > 0 ? e.byte - 1 : 0);
      failAt(at, "header is not valid JSON: {}", stripJsonPrefix(e.what()));
    } catch (const Json::exception &e) {
      // Valid syntax the parser still refuses: a number beyond double (out_of_range.406).
      failAt(8, "header is not valid JSON: {}", stripJsonPrefix(e.what()));
    }
    if (duplicate)
      failTensor(*duplicate, "duplicate name in the header");
    if (!header.is_object())
      failAt(8, "header is a JSON {}, not an object", header.type_name());
    return header;
  }

  /// "[json.exception.parse_error.101] parse error at line 1, column 3: syntax error ..."
  /// -> "syntax error ... (line 1, column 3)";
  /// "[json.exception.out_of_range.406] number overflow ..." -> "number overflow ...".
  static std::string stripJsonPrefix(std::string_view what) {
    size_t at = what.find("parse error");
    size_t colon = what.find(": ", at);
    if (at == std::string_view::npos || colon == std::string_view::npos) {
      size_t tag = what.find("] ");
      return std::string(what.starts_with("[json.exception.") && tag != std::string_view::npos
                             ? what.substr(tag + 2)
                             : what);
    }
    std::string_view where = what.substr(at, colon - at);
    if (where.starts_with("parse error at "))
      where.remove_prefix(std::string_view("parse error at ").size());
    return fmt::format("{} ({})", what.substr(colon + 2), where);
  }

  std::map<std::string, std::string> parseMetadata(const Json &value) {
    std::map<std::string, std::string> metadata;
    if (value.is_null())
      return metadata;
    if (!value.is_object())
      failAt(8, "'{}' is a JSON {}, not an object", kMetadataKey, value.type_name());
    for (const auto &[key, v] : value.items()) {
      if (!v.is_string())
        failAt(8, "'{}' entry '{}' is a JSON {}, not a string", kMetadataKey, key, v.type_name());
      metadata[key] = v.get<std::string>();
    }
    return metadata;
  }

  /// A non-negative JSON integer, or a failure naming the field.
  uint64_t unsignedField(const std::string &name, std::string_view field, const Json &v) {
    if (!v.is_number_unsigned())
      failTensor(name, "{} holds {}, not a non-negative integer", field, v.dump());
    return v.get<uint64_t>();
  }

  Entry parseEntry(const std::string &name, const Json &value) {
    if (!value.is_object())
      failTensor(name, "entry is a JSON {}, not an object", value.type_name());
    for (const char *key : {"dtype", "shape", "data_offsets"})
      if (!value.contains(key))
        failTensor(name, "missing key '{}'", key);

    const Json &dtype = value["dtype"];
    if (!dtype.is_string())
      failTensor(name, "dtype is a JSON {}, not a string", dtype.type_name());
    std::string dtypeName = dtype.get<std::string>();
    std::optional<FileDType> type = loadableDType(dtypeName);
    if (!type && isKnownUnsupportedDType(dtypeName))
      failTensor(name, "unsupported dtype {} (kiln reads F32, F64, I32, I64 and BOOL)", dtypeName);
    if (!type)
      failTensor(name, "unknown dtype '{}'", dtypeName);

    const Json &shapeJson = value["shape"];
    if (!shapeJson.is_array())
      failTensor(name, "shape is a JSON {}, not an array", shapeJson.type_name());
    Shape shape;
    // Element count with overflow checks: a corrupt shape must not wrap around to a size
    // that happens to match data_offsets.
    for (const Json &dim : shapeJson) {
      uint64_t d = unsignedField(name, "shape", dim);
      if (d > uint64_t(std::numeric_limits<int64_t>::max()))
        failTensor(name, "shape dimension {} is too large", d);
      shape.push_back(static_cast<int64_t>(d));
    }
    uint64_t count = 1;
    if (std::find(shape.begin(), shape.end(), 0) != shape.end())
      count = 0;
    else
      for (int64_t d : shape) {
        if (count > std::numeric_limits<uint64_t>::max() / type->bytes / uint64_t(d))
          failTensor(name, "shape {} is too large", shapeStr(shape));
        count *= uint64_t(d);
      }

    const Json &offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
      failTensor(name, "data_offsets holds {}, not [begin, end]", offsets.dump());
    uint64_t begin = unsignedField(name, "data_offsets", offsets[0]);
    uint64_t end = unsignedField(name, "data_offsets", offsets[1]);
    if (end < begin)
      failTensor(name, "data_offsets [{},{}] end before they begin", begin, end);
    uint64_t dataSize = bytes_.size() - 8 - headerLength_;
    if (end > dataSize)
      failTensor(name, "data_offsets [{},{}] lie outside the data section of {} bytes", begin, end,
                 dataSize);
    if (end - begin != count * type->bytes)
      failTensor(name, "{} {} needs {} bytes but data_offsets [{},{}] span {}", dtypeName,
                 shapeStr(shape), count * type->bytes, begin, end, end - begin);
    return Entry{name, *type, std::move(shape), begin, end};
  }

  void checkLayout(const std::vector<Entry> &entries) {
    std::vector<const Entry *> sorted;
    for (const Entry &e : entries)
      sorted.push_back(&e);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Entry *a, const Entry *b) {
      return std::pair(a->begin, a->end) < std::pair(b->begin, b->end);
    });
    uint64_t dataStart = 8 + headerLength_;
    uint64_t expected = 0;
    const Entry *previous = nullptr;
    for (const Entry *e : sorted) {
      if (e->begin < expected)
        failTensor(e->name, "data_offsets [{},{}] overlap tensor '{}' [{},{}]", e->begin, e->end,
                   previous->name, previous->begin, previous->end);
      if (e->begin > expected)
        failAt(dataStart + expected, "{} unused bytes before tensor '{}'", e->begin - expected,
               e->name);
      expected = e->end;
      previous = e;
    }
    uint64_t dataSize = bytes_.size() - dataStart;
    if (expected != dataSize)
      failAt(dataStart + expected, "{} bytes of trailing data after the last tensor",
             dataSize - expected);
  }

  NamedTensor loadTensor(const Entry &e) {
    Tensor tensor(Type{e.type.dtype, e.shape});
    const char *src = bytes_.data() + 8 + headerLength_ + e.begin;
    NamedTensor out{e.name, tensor, e.type.int64};
    if (e.type.int64) {
      std::span<int32_t> dst = tensor.data<int32_t>();
      for (size_t i = 0; i < dst.size(); ++i) {
        int64_t v;
        std::memcpy(&v, src + 8 * i, 8);
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
          failTensor(e.name, "I64 value {} at index {} does not fit in i32", v, i);
        dst[i] = static_cast<int32_t>(v);
      }
      return out;
    }
    if (tensor.byteSize())
      std::memcpy(tensor.raw(), src, tensor.byteSize());
    if (e.type.dtype == DType::Bool)
      for (size_t i = 0; i < tensor.byteSize(); ++i)
        if (tensor.data<uint8_t>()[i] > 1)
          failTensor(e.name, "BOOL value {} at index {} is neither 0 nor 1",
                     tensor.data<uint8_t>()[i], i);
    return out;
  }

  const std::string &path_;
  std::string bytes_;
  uint64_t headerLength_ = 0;
};

} // namespace

SafetensorsFile readSafetensors(const std::string &path) {
  return Reader(path, readWholeFile(path)).read();
}

} // namespace kiln
