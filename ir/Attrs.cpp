#include "kiln/ir/Attrs.h"

#include "kiln/ir/Error.h"

#include <charconv>
#include <cmath>

namespace kiln {

namespace {
const char *kindName(const AttrValue &v) {
  constexpr const char *names[] = {"bool", "int", "float", "int list", "float list", "string"};
  return names[v.index()];
}

template <typename T> const T &expect(std::string_view key, const AttrValue &v, const char *want) {
  if (const T *p = std::get_if<T>(&v))
    return *p;
  fail("attribute '{}' must be {}, got {}", key, want, kindName(v));
}
} // namespace

const AttrValue &Attrs::get(std::string_view key) const {
  auto it = map_.find(key);
  if (it == map_.end())
    fail("missing attribute '{}'", key);
  return it->second;
}

bool Attrs::getBool(std::string_view key) const { return expect<bool>(key, get(key), "a bool"); }
bool Attrs::getBool(std::string_view key, bool fallback) const {
  return has(key) ? getBool(key) : fallback;
}

int64_t Attrs::getInt(std::string_view key) const {
  return expect<int64_t>(key, get(key), "an int");
}
int64_t Attrs::getInt(std::string_view key, int64_t fallback) const {
  return has(key) ? getInt(key) : fallback;
}

double Attrs::getFloat(std::string_view key) const {
  const AttrValue &v = get(key);
  if (const int64_t *i = std::get_if<int64_t>(&v))
    return static_cast<double>(*i);
  return expect<double>(key, v, "a float");
}
double Attrs::getFloat(std::string_view key, double fallback) const {
  return has(key) ? getFloat(key) : fallback;
}

const std::vector<int64_t> &Attrs::getInts(std::string_view key) const {
  return expect<std::vector<int64_t>>(key, get(key), "an int list");
}
std::vector<int64_t> Attrs::getInts(std::string_view key, std::vector<int64_t> fallback) const {
  return has(key) ? getInts(key) : fallback;
}

std::vector<double> Attrs::getFloats(std::string_view key) const {
  const AttrValue &v = get(key);
  if (const auto *ints = std::get_if<std::vector<int64_t>>(&v))
    return std::vector<double>(ints->begin(), ints->end());
  return expect<std::vector<double>>(key, v, "a float list");
}

const std::string &Attrs::getString(std::string_view key) const {
  return expect<std::string>(key, get(key), "a string");
}
std::string Attrs::getString(std::string_view key, std::string fallback) const {
  return has(key) ? getString(key) : fallback;
}

std::string formatFloat(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

namespace {
std::string formatValue(const AttrValue &v) {
  struct Visitor {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return formatFloat(d); }
    std::string operator()(const std::vector<int64_t> &xs) const {
      std::string s = "[";
      for (size_t i = 0; i < xs.size(); ++i)
        s += (i ? "," : "") + std::to_string(xs[i]);
      return s + "]";
    }
    std::string operator()(const std::vector<double> &xs) const {
      std::string s = "[";
      for (size_t i = 0; i < xs.size(); ++i)
        s += (i ? ", " : "") + formatFloat(xs[i]);
      return s + "]";
    }
    std::string operator()(const std::string &str) const {
      std::string s = "\"";
      for (char c : str) {
        if (c == '"' || c == '\\')
          s += '\\';
        s += c;
      }
      return s + "\"";
    }
  };
  return std::visit(Visitor{}, v);
}
} // namespace

std::string formatAttrs(const Attrs &attrs) {
  if (attrs.empty())
    return "";
  std::string s = "{";
  bool first = true;
  for (const auto &[key, value] : attrs) {
    s += (first ? "" : ", ") + key + " = " + formatValue(value);
    first = false;
  }
  return s + "}";
}

} // namespace kiln
