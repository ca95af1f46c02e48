// Every elementwise op of the table at f32 and f64, JIT against the interpreter, on the
// awkward sizes 1, 3, 17 and 63, plus the pow forms LLVM rewrites into other maths
// functions (pow(2, x) -> exp2, pow(10, x) -> exp10, pow(2, float(i)) -> ldexp,
// pow(x, 0.5) -> sqrt): each of those must link and agree. One graph per dtype and size
// holds every case as an output, so the whole matrix costs eight compiles.
#include "JitTestUtil.h"

#include "kiln/ir/Printer.h"
#include "kiln/runtime/Random.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>

using namespace kiln;
using namespace kiln::test;

namespace {

/// The graph's inputs: signed values, positive values (where log, sqrt and fractional
/// powers are defined), small integers (for integer-valued exponents) and bools.
struct Operands {
  ValueId x, y, p, i, b;
};

class MathGraph {
public:
  MathGraph(DType dtype, int64_t n) : dtype_(dtype), shape_{n}, graph_("math") {
    ops_.x = graph_.addInput("x", {dtype, shape_});
    ops_.y = graph_.addInput("y", {dtype, shape_});
    ops_.p = graph_.addInput("p", {dtype, shape_});
    ops_.i = graph_.addInput("i", {DType::I32, shape_});
    ops_.b = graph_.addInput("b", {DType::Bool, shape_});
  }

  Graph &graph() { return graph_; }
  const Operands &operands() const { return ops_; }

  ValueId add(OpKind op, std::vector<ValueId> operands, Attrs attrs = {}) {
    return graph_.add(op, std::move(operands), std::move(attrs));
  }
  ValueId constant(double value) {
    return add(OpKind::Constant, {},
               {{"dtype", std::string(dtypeName(dtype_))}, {"shape", shape_}, {"value", value}});
  }
  ValueId asFloat(ValueId v) {
    return add(OpKind::Convert, {v}, {{"dtype", std::string(dtypeName(dtype_))}});
  }
  void output(const std::string &name, ValueId v) { graph_.addOutput(name, v); }

  /// Seeded arguments: x, y in [-3, 3), p in [0.1, 3), i in [-8, 8), b fair.
  Arguments arguments(uint64_t seed) const {
    auto uniform = [&](const Type &type, uint64_t stream, double lo, double hi) {
      Tensor t(type);
      for (int64_t k = 0; k < t.numElements(); ++k)
        t.set(k, lo + (hi - lo) * uniformFloat(seed, stream, uint64_t(k)));
      return t;
    };
    Type value{dtype_, shape_};
    Tensor i = uniform({DType::F64, shape_}, 4, -8, 8), ints({DType::I32, shape_});
    Tensor b({DType::Bool, shape_});
    for (int64_t k = 0; k < i.numElements(); ++k) {
      ints.set(k, std::floor(i.at(k)));
      b.set(k, uniformFloat(seed, 5, uint64_t(k)) < 0.5);
    }
    return {{uniform(value, 1, -3, 3), uniform(value, 2, -3, 3), uniform(value, 3, 0.1, 3),
             std::move(ints), std::move(b)},
            {}};
  }

private:
  DType dtype_;
  Shape shape_;
  Graph graph_;
  Operands ops_{};
};

/// The attribute sets an elementwise op needs: every target dtype of convert, every
/// direction of compare, none otherwise.
std::vector<std::pair<std::string, Attrs>> attributeVariants(OpKind op) {
  if (op == OpKind::Convert) {
    std::vector<std::pair<std::string, Attrs>> v;
    for (const char *to : {"f32", "f64", "i32", "bool"})
      v.push_back({to, {{"dtype", std::string(to)}}});
    return v;
  }
  if (op == OpKind::Compare) {
    std::vector<std::pair<std::string, Attrs>> v;
    for (const char *dir : {"eq", "ne", "lt", "le", "gt", "ge"})
      v.push_back({dir, {{"direction", std::string(dir)}}});
    return v;
  }
  return {{"", {}}};
}

/// Every elementwise op of the table on signed and on positive operands (where an op is
/// undefined both sides give NaN, which compares equal).
void addTableOps(MathGraph &m) {
  const Operands &o = m.operands();
  for (const OpInfo &info : kOpInfos) {
    if (info.category != OpCategory::Elementwise)
      continue;
    for (const auto &[suffix, attrs] : attributeVariants(info.kind)) {
      std::string name = std::string(info.mnemonic) + (suffix.empty() ? "" : "_" + suffix);
      switch (info.arity) {
      case 1:
        m.output(name + "_x", m.add(info.kind, {o.x}, attrs));
        m.output(name + "_p", m.add(info.kind, {o.p}, attrs));
        break;
      case 2:
        m.output(name + "_xy", m.add(info.kind, {o.x, o.y}, attrs));
        m.output(name + "_py", m.add(info.kind, {o.p, o.y}, attrs));
        break;
      case 3: // select
        m.output(name + "_bxy", m.add(info.kind, {o.b, o.x, o.y}, attrs));
        break;
      default:
        FAIL("an elementwise op of arity " << info.arity);
      }
    }
  }
}

/// pow with constant bases and exponents and with integer-valued exponents: the forms
/// LibCallSimplifier rewrites into exp2, exp10, ldexp, sqrt, multiplications, division.
void addPowForms(MathGraph &m) {
  const Operands &o = m.operands();
  ValueId integer = m.asFloat(o.i);
  for (double base : {2.0, 0.5, 4.0, 10.0, 8.0, 0.25}) {
    std::string b = fmt::format("{}", base);
    std::replace(b.begin(), b.end(), '.', 'p');
    m.output("pow_" + b + "_x", m.add(OpKind::Pow, {m.constant(base), o.x}));
    m.output("pow_" + b + "_i", m.add(OpKind::Pow, {m.constant(base), integer}));
  }
  for (double exponent : {0.5, -0.5, 2.0, 3.0, -1.0, -2.0, 1.0 / 3.0, 0.25, 1.5}) {
    std::string e = fmt::format("{:.3}", exponent);
    std::replace(e.begin(), e.end(), '.', 'p');
    std::replace(e.begin(), e.end(), '-', 'm');
    m.output("pow_x_" + e, m.add(OpKind::Pow, {o.x, m.constant(exponent)}));
    m.output("pow_p_" + e, m.add(OpKind::Pow, {o.p, m.constant(exponent)}));
  }
  m.output("pow_x_i", m.add(OpKind::Pow, {o.x, integer}));
  m.output("pow_p_i", m.add(OpKind::Pow, {o.p, integer}));
  // exp(x * log(2)) and friends stay as written; only the direct forms are rewritten.
  m.output("exp_of_pow", m.add(OpKind::Exp, {m.add(OpKind::Pow, {m.constant(2.0), o.x})}));
}

} // namespace

TEST_CASE("every elementwise op and pow form links and agrees at f32 and f64", "[jit]") {
  DType dtype = GENERATE(DType::F32, DType::F64);
  int64_t n = GENERATE(1, 3, 17, 63);
  MathGraph m(dtype, n);
  addTableOps(m);
  addPowForms(m);
  // libmvec against libm: a few ulp of the type.
  double rtol = dtype == DType::F32 ? 2e-6 : 1e-14;
  uint64_t seed = 4242 + uint64_t(n);
  checkAgainstInterpreter(
      m.graph(), m.arguments(seed), rtol,
      fmt::format("{} [{}] (seed {})\n{}", dtypeName(dtype), n, seed, printGraph(m.graph())));
}
