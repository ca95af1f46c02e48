// mathSymbol: a name rule (see the header) and dlsym on the library that owns the name.
// Each library is opened by its own handle, so a name resolves only to that library's
// function even where another library of the process defines it too.
#include "kiln/codegen/MathSymbols.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <dlfcn.h>
#include <string>

namespace kiln::codegen {

namespace {

/// The double-precision names of C's <math.h> functions (C99 and the glibc additions
/// LLVM knows: exp10, sincos, roundeven); "f" appended gives the float form.
constexpr std::array<std::string_view, 64> kMathFunctions = {
    "acos",      "acosh",  "asin",      "asinh",       "atan",    "atan2",  "atanh",
    "cbrt",      "ceil",   "copysign",  "cos",         "cosh",    "erf",    "erfc",
    "exp",       "exp10",  "exp2",      "expm1",       "fabs",    "fdim",   "floor",
    "fma",       "fmax",   "fmin",      "fmod",        "frexp",   "hypot",  "ilogb",
    "ldexp",     "lgamma", "llrint",    "llround",     "log",     "log10",  "log1p",
    "log2",      "logb",   "lrint",     "lround",      "modf",    "nan",    "nearbyint",
    "nextafter", "pow",    "remainder", "remquo",      "rint",    "round",  "roundeven",
    "scalbln",   "scalbn", "sin",       "sincos",      "sinh",    "sqrt",   "tan",
    "tanh",      "tgamma", "trunc",     "significand", "exp10m1", "exp2m1", "log10p1",
    "log2p1",
};

/// libgcc's integer powers, what llvm.powi.f32/f64 lower to.
constexpr std::array<std::string_view, 2> kPowiHelpers = {"__powisf2", "__powidf2"};

bool isScalarMathName(std::string_view name) {
  auto known = [](std::string_view base) {
    return std::find(kMathFunctions.begin(), kMathFunctions.end(), base) != kMathFunctions.end();
  };
  return known(name) || (name.ends_with('f') && known(name.substr(0, name.size() - 1)));
}

/// The scalar function of a vector-function-ABI name (_ZGV<isa><mask><lanes><params>_<f>),
/// or "" when `name` is not one.
std::string_view vectorVariantOf(std::string_view name) {
  if (!name.starts_with("_ZGV") || name.size() < 8)
    return {};
  std::string_view rest = name.substr(4);
  if (std::string_view("bcde").find(rest[0]) == std::string_view::npos ||
      (rest[1] != 'N' && rest[1] != 'M') || !std::isdigit(static_cast<unsigned char>(rest[2])))
    return {};
  size_t underscore = rest.find('_');
  return underscore == std::string_view::npos ? std::string_view() : rest.substr(underscore + 1);
}

void *library(const char *soname) { return dlopen(soname, RTLD_NOW | RTLD_LOCAL); }

void *libm() {
  static void *handle = library("libm.so.6");
  return handle;
}

void *libmvec() {
  static void *handle = library("libmvec.so.1");
  return handle;
}

void *libgcc() {
  static void *handle = library("libgcc_s.so.1");
  return handle;
}

const void *lookup(void *handle, std::string_view name) {
  return handle ? dlsym(handle, std::string(name).c_str()) : nullptr;
}

} // namespace

const void *mathSymbol(std::string_view name) {
  if (isScalarMathName(name))
    return lookup(libm(), name);
  if (std::string_view scalar = vectorVariantOf(name); isScalarMathName(scalar))
    return lookup(libmvec(), name);
  if (std::find(kPowiHelpers.begin(), kPowiHelpers.end(), name) != kPowiHelpers.end())
    return lookup(libgcc(), name);
  return nullptr;
}

bool haveVectorMath() { return libmvec() != nullptr; }

} // namespace kiln::codegen
