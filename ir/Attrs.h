// The attribute dictionary of a node: sorted string keys to a small set of value kinds.
// The printer and parser treat it generically; each op's shape rule reads what it needs
// and says precisely what is missing or of the wrong kind.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kiln {

using AttrValue =
    std::variant<bool, int64_t, double, std::vector<int64_t>, std::vector<double>, std::string>;

/// Sorted attribute dictionary. Getters throw kiln::Error naming the key when it is
/// missing or of another kind; ints are accepted where a float is asked for.
class Attrs {
public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<const std::string, AttrValue>> init) : map_(init) {}

  Attrs &set(std::string key, AttrValue value) {
    map_[std::move(key)] = std::move(value);
    return *this;
  }
  bool has(std::string_view key) const { return map_.find(key) != map_.end(); }
  bool empty() const { return map_.empty(); }
  auto begin() const { return map_.begin(); }
  auto end() const { return map_.end(); }
  bool operator==(const Attrs &) const = default;

  bool getBool(std::string_view key) const;
  bool getBool(std::string_view key, bool fallback) const;
  int64_t getInt(std::string_view key) const;
  int64_t getInt(std::string_view key, int64_t fallback) const;
  double getFloat(std::string_view key) const;
  double getFloat(std::string_view key, double fallback) const;
  const std::vector<int64_t> &getInts(std::string_view key) const;
  std::vector<int64_t> getInts(std::string_view key, std::vector<int64_t> fallback) const;
  /// A float list; an int list is converted.
  std::vector<double> getFloats(std::string_view key) const;
  const std::string &getString(std::string_view key) const;
  std::string getString(std::string_view key, std::string fallback) const;

private:
  const AttrValue &get(std::string_view key) const;
  std::map<std::string, AttrValue, std::less<>> map_;
};

/// Prints a float so that parsing it back yields the same double; always contains
/// '.', 'e', "inf" or "nan" so it never reads as an integer.
std::string formatFloat(double value);

/// "{a = 1, b = [1,2], c = \"x\"}" in key order; "" when empty.
std::string formatAttrs(const Attrs &attrs);

} // namespace kiln
