// jitOpCases: one exhaustive switch over OpKind; a plain elementwise op's cases follow
// from its columns in Ops.def unless it has cases of its own.
#include "OpCases.h"

#include "kiln/ir/OpGroups.h"
#include "kiln/ir/ShapeRules.h"

#include <fmt/format.h>

#include <functional>

namespace kiln::test {

namespace {

constexpr double kSumTolerance = 1e-5;  // reassociated float sums
constexpr double kMathTolerance = 2e-6; // libmvec exp/log/pow vs libm (a few ulp)

std::vector<int64_t> ints(std::initializer_list<int64_t> v) { return v; }

/// Builds one case: inputs, nodes, outputs.
struct CaseBuilder {
  OpCase c;
  explicit CaseBuilder(std::string label, ValueDomain domain = {}, double rtol = 0) {
    c.label = std::move(label);
    c.graph.setName("case");
    c.domain = domain;
    c.rtol = rtol;
  }
  ValueId in(DType dtype, Shape shape) {
    return c.graph.addInput(fmt::format("in{}", c.graph.inputs().size()), {dtype, shape});
  }
  ValueId add(OpKind op, std::vector<ValueId> operands, Attrs attrs = {}) {
    return c.graph.add(op, std::move(operands), std::move(attrs), "case");
  }
  OpCase out(ValueId y) {
    c.graph.addOutput("y", y);
    c.label += " " + c.graph.type(y).str();
    return std::move(c);
  }
};

const std::vector<Shape> kElementwiseShapes = {{63}, {3, 17, 31}, {1}, {}, {31, 1, 17}};

ValueDomain range(double lo, double hi, bool specials = false) {
  ValueDomain d;
  d.lo = lo;
  d.hi = hi;
  d.specials = specials;
  return d;
}

/// y = op(x) for float (and, when `ints`, i32) operands of every elementwise shape.
std::vector<OpCase> unary(OpKind op, ValueDomain domain, double rtol, bool withInts) {
  std::vector<OpCase> cases;
  for (const Shape &s : kElementwiseShapes) {
    CaseBuilder b(std::string(mnemonic(op)), domain, rtol);
    cases.push_back(b.out(b.add(op, {b.in(DType::F32, s)})));
  }
  CaseBuilder d(std::string(mnemonic(op)) + " f64", domain, rtol);
  cases.push_back(d.out(d.add(op, {d.in(DType::F64, {17, 3})})));
  ValueDomain special = domain;
  special.specials = true;
  CaseBuilder sp(std::string(mnemonic(op)) + " specials", special, rtol);
  cases.push_back(sp.out(sp.add(op, {sp.in(DType::F32, {63, 3})})));
  if (withInts) {
    CaseBuilder i(std::string(mnemonic(op)) + " i32", domain);
    cases.push_back(i.out(i.add(op, {i.in(DType::I32, {17, 31})})));
  }
  return cases;
}

std::vector<OpCase> binary(OpKind op, ValueDomain domain, double rtol, bool withInts) {
  std::vector<OpCase> cases;
  for (const Shape &s : kElementwiseShapes) {
    CaseBuilder b(std::string(mnemonic(op)), domain, rtol);
    cases.push_back(b.out(b.add(op, {b.in(DType::F32, s), b.in(DType::F32, s)})));
  }
  CaseBuilder d(std::string(mnemonic(op)) + " f64", domain, rtol);
  cases.push_back(d.out(d.add(op, {d.in(DType::F64, {3, 31}), d.in(DType::F64, {3, 31})})));
  ValueDomain special = domain;
  special.specials = true;
  CaseBuilder sp(std::string(mnemonic(op)) + " specials", special, rtol);
  cases.push_back(sp.out(sp.add(op, {sp.in(DType::F32, {63, 17}), sp.in(DType::F32, {63, 17})})));
  if (withInts) {
    ValueDomain id = domain;
    id.intLimit = 7;
    CaseBuilder i(std::string(mnemonic(op)) + " i32", id);
    // (x - 3) spans negative numbers, zero and -1, the edge cases of i32 division.
    ValueId three =
        i.add(OpKind::Constant, {},
              {{"dtype", std::string("i32")}, {"shape", ints({17, 31})}, {"value", 3.0}});
    ValueId x = i.add(OpKind::Sub, {i.in(DType::I32, {17, 31}), three});
    ValueId y = i.add(OpKind::Sub, {i.in(DType::I32, {17, 31}), three});
    cases.push_back(i.out(i.add(op, {x, y})));
  }
  return cases;
}

std::vector<OpCase> reductions(OpKind op, double rtol, bool specials) {
  std::vector<OpCase> cases;
  std::vector<std::vector<int64_t>> axesSets = {{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}, {}};
  for (const auto &axes : axesSets) {
    CaseBuilder b(fmt::format("{} axes {}", mnemonic(op), shapeStr(axes)), range(-1, 1, specials),
                  rtol);
    cases.push_back(b.out(b.add(op, {b.in(DType::F32, {3, 17, 31})}, {{"axes", axes}})));
  }
  CaseBuilder big(fmt::format("{} large", mnemonic(op)), range(-1, 1), rtol);
  cases.push_back(
      big.out(big.add(op, {big.in(DType::F32, {63, 31, 17})}, {{"axes", ints({0, 2})}})));
  CaseBuilder d(fmt::format("{} f64", mnemonic(op)), range(-1, 1), rtol);
  cases.push_back(d.out(d.add(op, {d.in(DType::F64, {63, 3})}, {{"axes", ints({0})}})));
  if (op != OpKind::ReduceMean) {
    CaseBuilder i(fmt::format("{} i32", mnemonic(op)));
    cases.push_back(i.out(i.add(op, {i.in(DType::I32, {17, 31})}, {{"axes", ints({1})}})));
  }
  // A fused operand: the reduction evaluates mul(a, exp(b)) inside its loop.
  CaseBuilder f(fmt::format("{} of a fused expression", mnemonic(op)), range(-1, 1),
                std::max(rtol, kMathTolerance));
  ValueId a = f.in(DType::F32, {17, 63}), bb = f.in(DType::F32, {17, 63});
  cases.push_back(
      f.out(f.add(op, {f.add(OpKind::Mul, {a, f.add(OpKind::Exp, {bb})})}, {{"axes", ints({1})}})));
  return cases;
}

struct ConvGeometry {
  Shape x, w;
  Attrs attrs;
  std::string label;
};

std::vector<ConvGeometry> convGeometries() {
  return {
      {{2, 3, 17, 17}, {5, 3, 3, 3}, {{"padding", ints({1, 1})}}, "3x3 pad 1"},
      {{3, 3, 17, 17}, {5, 3, 3, 3}, {{"stride", ints({2, 2})}}, "3x3 stride 2"},
      {{1, 2, 17, 31},
       {4, 2, 3, 3},
       {{"dilation", ints({2, 2})}, {"padding", ints({2, 2})}},
       "dilation 2"},
      {{2, 4, 9, 9}, {6, 2, 3, 3}, {{"groups", int64_t(2)}, {"padding", ints({1, 1})}}, "groups 2"},
      {{2, 3, 17, 17}, {7, 3, 1, 1}, {}, "1x1"},
      {{2, 1, 17, 31},
       {3, 1, 5, 3},
       {{"stride", ints({2, 1})}, {"padding", ints({2, 0})}},
       "5x3 stride [2,1] pad [2,0]"},
      // Shifted kernels lay output rows out by pitch: 13 wide takes runs of 14 cells per
      // row on AVX-512 (one dropped), 7 x 7 two runs of 7 per tile, a 1x1 image one run
      // past the padded plane.
      {{3, 5, 13, 13}, {17, 5, 3, 3}, {{"padding", ints({1, 1})}}, "13x13 pad 1"},
      {{3, 6, 7, 7}, {9, 6, 3, 3}, {{"padding", ints({1, 1})}}, "7x7 pad 1"},
      {{2, 7, 1, 1}, {3, 7, 3, 3}, {{"padding", ints({1, 1})}}, "1x1 image pad 1"},
      // One input channel per group (forward) or one output channel per group (input
      // gradient) takes the direct kernel: rows of 21, 17, 33 and 1 cells (tails of 5
      // and 1 cells on AVX-512, 5 and 1 on AVX2), dilation, 5x5 taps, depthwise.
      {{2, 1, 19, 23},
       {3, 1, 5, 5},
       {{"dilation", ints({2, 2})}, {"padding", ints({3, 3})}},
       "direct 5x5 dilation 2"},
      {{2, 7, 11, 17},
       {7, 1, 3, 3},
       {{"groups", int64_t(7)}, {"padding", ints({1, 1})}},
       "direct depthwise 7"},
      {{2, 3, 9, 33}, {1, 3, 3, 3}, {{"padding", ints({1, 1})}}, "direct 1 output channel"},
      {{3, 1, 5, 1}, {4, 1, 3, 3}, {{"padding", ints({1, 1})}}, "direct 1 wide"},
      {{63, 1, 28, 28}, {32, 1, 3, 3}, {{"padding", ints({1, 1})}}, "cnn conv1"},
      {{5, 32, 14, 14}, {64, 32, 3, 3}, {{"padding", ints({1, 1})}}, "cnn conv2"},
  };
}

std::vector<OpCase> convolutions(OpKind op) {
  std::vector<OpCase> cases;
  for (const ConvGeometry &g : convGeometries()) {
    CaseBuilder b(fmt::format("{} {}", mnemonic(op), g.label), range(-1, 1), kSumTolerance);
    Type y = inferType(OpKind::Conv2d, {{DType::F32, g.x}, {DType::F32, g.w}}, g.attrs);
    Attrs attrs = g.attrs;
    switch (op) {
    case OpKind::Conv2d:
      cases.push_back(b.out(b.add(op, {b.in(DType::F32, g.x), b.in(DType::F32, g.w)}, attrs)));
      break;
    case OpKind::Conv2dInputGrad:
      attrs.set("input_size", ints({g.x[2], g.x[3]}));
      cases.push_back(b.out(b.add(op, {b.in(DType::F32, y.shape), b.in(DType::F32, g.w)}, attrs)));
      break;
    default:
      attrs.set("kernel", ints({g.w[2], g.w[3]}));
      cases.push_back(b.out(b.add(op, {b.in(DType::F32, g.x), b.in(DType::F32, y.shape)}, attrs)));
      break;
    }
  }
  CaseBuilder d(fmt::format("{} f64", mnemonic(op)), range(-1, 1), kSumTolerance);
  Shape x = {2, 3, 9, 9}, w = {4, 3, 3, 3}, y = {2, 4, 9, 9};
  Attrs attrs{{"padding", ints({1, 1})}};
  if (op == OpKind::Conv2d)
    cases.push_back(d.out(d.add(op, {d.in(DType::F64, x), d.in(DType::F64, w)}, attrs)));
  else if (op == OpKind::Conv2dInputGrad)
    cases.push_back(d.out(d.add(op, {d.in(DType::F64, y), d.in(DType::F64, w)},
                                attrs.set("input_size", ints({9, 9})))));
  else
    cases.push_back(d.out(
        d.add(op, {d.in(DType::F64, x), d.in(DType::F64, y)}, attrs.set("kernel", ints({3, 3})))));
  return cases;
}

std::vector<OpCase> pooling(OpKind op) {
  struct Geometry {
    Shape x;
    Attrs attrs;
    std::string label;
  };
  std::vector<Geometry> geometries = {
      {{2, 3, 17, 17}, {{"window", ints({2, 2})}}, "2x2"},
      {{1, 3, 17, 31},
       {{"window", ints({3, 3})}, {"stride", ints({2, 2})}, {"padding", ints({1, 1})}},
       "3x3 stride 2 pad 1"},
      {{2, 2, 9, 9}, {{"window", ints({3, 2})}, {"stride", ints({1, 1})}}, "3x2 stride 1"},
      {{64, 32, 28, 28}, {{"window", ints({2, 2})}}, "cnn pool1"},
      {{3, 5, 14, 15}, {{"window", ints({2, 2})}}, "2x2 into 7x7"},
      {{2, 7, 7, 7}, {{"window", ints({2, 2})}}, "2x2 7x7 into 3x3"},
      {{1, 3, 3, 2}, {{"window", ints({2, 2})}}, "2x2 into 1x1"},
  };
  bool grad = op == OpKind::MaxPool2dGrad || op == OpKind::AvgPool2dGrad;
  bool isMax = op == OpKind::MaxPool2d || op == OpKind::MaxPool2dGrad;
  OpKind forward = isMax ? OpKind::MaxPool2d : OpKind::AvgPool2d;
  std::vector<OpCase> cases;
  for (const Geometry &g : geometries) {
    for (bool specials : {false, true}) {
      if (specials && !isMax)
        continue;
      CaseBuilder b(fmt::format("{} {}{}", mnemonic(op), g.label, specials ? " specials" : ""),
                    range(-1, 1, specials), 1e-6);
      Type y = inferType(forward, {{DType::F32, g.x}}, g.attrs);
      Attrs attrs = g.attrs;
      if (op == OpKind::AvgPool2dGrad) {
        attrs.set("input_size", ints({g.x[2], g.x[3]}));
        cases.push_back(b.out(b.add(op, {b.in(DType::F32, y.shape)}, attrs)));
      } else if (grad) {
        cases.push_back(
            b.out(b.add(op, {b.in(DType::F32, g.x), b.in(DType::F32, y.shape)}, attrs)));
      } else {
        cases.push_back(b.out(b.add(op, {b.in(DType::F32, g.x)}, attrs)));
      }
    }
  }
  return cases;
}

OpCase single(const std::string &label, const std::function<ValueId(CaseBuilder &)> &make,
              ValueDomain domain = {}, double rtol = 0) {
  CaseBuilder b(label, domain, rtol);
  ValueId y = make(b);
  return b.out(y);
}

Attrs constant(const char *dtype, Shape shape, double value) {
  return {{"dtype", std::string(dtype)}, {"shape", shape}, {"value", value}};
}

} // namespace

std::vector<OpCase> jitOpCases(OpKind op) {
  switch (op) {
  case OpKind::Input:
    return {single("input f32",
                   [](CaseBuilder &b) {
                     return b.in(DType::F32, {3, 17});
                   }),
            single("input bool", [](CaseBuilder &b) { return b.in(DType::Bool, {31}); }),
            single("input i32", [](CaseBuilder &b) { return b.in(DType::I32, {}); })};
  case OpKind::State: {
    CaseBuilder b("state and its update");
    ValueId s = b.c.graph.addState("s", {DType::F32, {17, 3}});
    b.c.graph.addUpdate(s, b.add(OpKind::Add, {s, s}));
    OpCase c = b.out(s);
    CaseBuilder twice("a value as two outputs and an update");
    ValueId t = twice.c.graph.addState("t", {DType::I32, {5}});
    ValueId n = twice.add(OpKind::Neg, {t});
    twice.c.graph.addUpdate(t, n);
    twice.c.graph.addOutput("z", n);
    return {std::move(c), twice.out(n)};
  }
  case OpKind::Constant:
    return {single("constant splat",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Constant, {}, constant("f32", {17, 3}, 2.5));
                   }),
            single("constant data",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Constant, {},
                                  {{"dtype", std::string("i32")},
                                   {"shape", ints({3})},
                                   {"data", std::vector<double>{7, -8, 1e12}}});
                   }),
            single("constant data in an expression",
                   [](CaseBuilder &b) {
                     ValueId c = b.add(OpKind::Constant, {},
                                       {{"dtype", std::string("f64")},
                                        {"shape", ints({2, 2})},
                                        {"data", std::vector<double>{0.1, -2, 3.5, 1e-300}}});
                     return b.add(OpKind::Mul, {c, b.in(DType::F64, {2, 2})});
                   }),
            single("constant bool", [](CaseBuilder &b) {
              return b.add(OpKind::Constant, {}, constant("bool", {31}, -0.5));
            })};
  case OpKind::Iota:
    return {single("iota f32 axis 1",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Iota, {},
                                  {{"dtype", std::string("f32")},
                                   {"shape", ints({3, 17})},
                                   {"axis", int64_t(1)}});
                   }),
            single("iota i32 axis 0", [](CaseBuilder &b) {
              return b.add(
                  OpKind::Iota, {},
                  {{"dtype", std::string("i32")}, {"shape", ints({31, 3})}, {"axis", int64_t(0)}});
            })};
  case OpKind::RandomUniform:
    return {single("random_uniform",
                   [](CaseBuilder &b) {
                     return b.add(
                         OpKind::RandomUniform, {b.in(DType::I32, {})},
                         {{"seed", int64_t(1333688832283713940)}, {"shape", ints({63, 17})}});
                   }),
            single("random_uniform compared (a dropout mask)", [](CaseBuilder &b) {
              ValueId r = b.add(OpKind::RandomUniform, {b.in(DType::I32, {})},
                                {{"seed", int64_t(-7)}, {"shape", ints({3, 1, 31})}});
              ValueId p = b.add(OpKind::Constant, {}, constant("f32", {3, 1, 31}, 0.25));
              return b.add(OpKind::Compare, {r, p}, {{"direction", std::string("ge")}});
            })};
#define ELEMENTWISE(Enum, ...) case OpKind::Enum:
#include "kiln/ir/Ops.def"
    switch (ElementwiseOp e = *elementwiseOp(op)) {
    case ElementwiseOp::Exp:
      return unary(op, range(-5, 5), kMathTolerance, false);
    case ElementwiseOp::Sqrt:
    case ElementwiseOp::Rsqrt:
      return unary(op, range(0.01, 4), 0, false);
    case ElementwiseOp::Tanh:
    case ElementwiseOp::Logistic:
      return unary(op, range(-8, 8), kMathTolerance, false);
    case ElementwiseOp::Convert: {
      std::vector<OpCase> cases;
      const DType all[] = {DType::F32, DType::F64, DType::I32, DType::Bool};
      for (DType from : all)
        for (DType to : all) {
          CaseBuilder b(fmt::format("convert {} -> {}", dtypeName(from), dtypeName(to)),
                        range(-3e9, 3e9, /*specials=*/true));
          cases.push_back(
              b.out(b.add(op, {b.in(from, {3, 17})}, {{"dtype", std::string(dtypeName(to))}})));
        }
      return cases;
    }
    case ElementwiseOp::Div: // exactly rounded, as in the interpreter
      return binary(op, range(-3, 3), 0, /*withInts=*/true);
    case ElementwiseOp::Pow: {
      std::vector<OpCase> cases = binary(op, range(0.1, 3), kMathTolerance, false);
      cases.pop_back(); // specials: pow(NaN, 0) and friends differ between libm and libmvec
      return cases;
    }
    case ElementwiseOp::Compare: {
      std::vector<OpCase> cases;
      for (const char *dir : {"eq", "ne", "lt", "le", "gt", "ge"})
        for (DType t : {DType::F32, DType::I32, DType::Bool}) {
          CaseBuilder b(fmt::format("compare {} {}", dir, dtypeName(t)), range(-1, 1, true));
          b.c.domain.intLimit = 3; // ties
          cases.push_back(b.out(b.add(op, {b.in(t, {17, 31}), b.in(t, {17, 31})},
                                      {{"direction", std::string(dir)}})));
        }
      return cases;
    }
    case ElementwiseOp::Select:
      return {single(
                  "select f32",
                  [](CaseBuilder &b) {
                    Shape s{17, 31};
                    return b.add(OpKind::Select,
                                 {b.in(DType::Bool, s), b.in(DType::F32, s), b.in(DType::F32, s)});
                  },
                  range(-1, 1, true)),
              single("select i32 scalar", [](CaseBuilder &b) {
                return b.add(OpKind::Select,
                             {b.in(DType::Bool, {}), b.in(DType::I32, {}), b.in(DType::I32, {})});
              })};
    default: { // a plain op: its cases follow from its Types, Domain and Cost columns
      ValueDomain domain =
          operandDomain(e) == OperandDomain::Positive ? range(0.01, 4) : range(-3, 3);
      double rtol = opInfo(op).cost == OpCost::Cheap ? 0 : kMathTolerance; // libm calls
      bool withInts = operandTypes(e) == OperandTypes::Numeric;
      return opInfo(op).arity == 1 ? unary(op, domain, rtol, withInts)
                                   : binary(op, domain, rtol, withInts);
    }
    }
  case OpKind::ReduceSum:
    return reductions(op, kSumTolerance, false);
  case OpKind::ReduceMean:
    return reductions(op, kSumTolerance, false);
  case OpKind::ReduceMax:
    return reductions(op, 0, true);
  case OpKind::Argmax: {
    std::vector<OpCase> cases;
    for (int64_t axis : {0, 1, 2})
      for (bool specials : {false, true}) {
        CaseBuilder b(fmt::format("argmax axis {}{}", axis, specials ? " specials" : ""),
                      range(-1, 1, specials));
        b.c.domain.intLimit = 3;
        cases.push_back(b.out(b.add(op, {b.in(DType::F32, {3, 17, 31})}, {{"axis", axis}})));
      }
    CaseBuilder i("argmax i32 ties");
    i.c.domain.intLimit = 3;
    cases.push_back(i.out(i.add(op, {i.in(DType::I32, {17, 63})}, {{"axis", int64_t(1)}})));
    CaseBuilder flags("argmax of bools");
    cases.push_back(
        flags.out(flags.add(op, {flags.in(DType::Bool, {17, 31})}, {{"axis", int64_t(1)}})));
    CaseBuilder one("argmax of a size-1 axis");
    cases.push_back(one.out(one.add(op, {one.in(DType::F32, {17, 1})}, {{"axis", int64_t(1)}})));
    return cases;
  }
  case OpKind::Matmul: {
    std::vector<OpCase> cases;
    struct Mnk {
      int64_t m, n, k;
    };
    // 2x150x70 and 4x70x150: few rows (libjit's direct path, GemmSmallRows.h) over
    // whole blocks of vectors of columns and of depth, with tails.
    for (Mnk s : {Mnk{1, 1, 1}, Mnk{3, 31, 17}, Mnk{63, 17, 31}, Mnk{17, 3, 63}, Mnk{64, 128, 300},
                  Mnk{200, 70, 520}, Mnk{2, 150, 70}, Mnk{4, 70, 150}})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          CaseBuilder b(fmt::format("matmul {}x{}x{} ta={} tb={}", s.m, s.n, s.k, ta, tb),
                        range(-1, 1), kSumTolerance);
          Shape a = ta ? Shape{s.k, s.m} : Shape{s.m, s.k},
                bs = tb ? Shape{s.n, s.k} : Shape{s.k, s.n};
          cases.push_back(b.out(b.add(op, {b.in(DType::F32, a), b.in(DType::F32, bs)},
                                      {{"transpose_a", ta}, {"transpose_b", tb}})));
        }
    CaseBuilder batched("matmul batched", range(-1, 1), kSumTolerance);
    cases.push_back(batched.out(batched.add(
        op, {batched.in(DType::F32, {3, 17, 31}), batched.in(DType::F32, {3, 31, 5})})));
    CaseBuilder d("matmul f64", range(-1, 1), 1e-12);
    cases.push_back(d.out(d.add(op, {d.in(DType::F64, {31, 17}), d.in(DType::F64, {17, 63})},
                                {{"transpose_b", false}})));
    return cases;
  }
  case OpKind::Conv2d:
  case OpKind::Conv2dInputGrad:
  case OpKind::Conv2dFilterGrad:
    return convolutions(op);
  case OpKind::MaxPool2d:
  case OpKind::MaxPool2dGrad:
  case OpKind::AvgPool2d:
  case OpKind::AvgPool2dGrad:
    return pooling(op);
  case OpKind::Reshape:
    return {single("reshape as output",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Reshape, {b.in(DType::F32, {3, 17, 31})},
                                  {{"shape", ints({51, 31})}});
                   }),
            single("reshape of a computed value, read by a fused op",
                   [](CaseBuilder &b) {
                     ValueId n = b.add(OpKind::Neg, {b.in(DType::F32, {3, 17, 31})});
                     ValueId r = b.add(OpKind::Reshape, {n}, {{"shape", ints({31, 51})}});
                     return b.add(OpKind::Abs, {r});
                   }),
            single("reshape of an input to a scalar", [](CaseBuilder &b) {
              return b.add(OpKind::Reshape, {b.in(DType::I32, {1, 1})}, {{"shape", ints({})}});
            })};
  case OpKind::Transpose:
    return {single("transpose as output",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Transpose, {b.in(DType::F32, {3, 17, 31})},
                                  {{"perm", ints({2, 0, 1})}});
                   }),
            single("transpose read by a fused op", [](CaseBuilder &b) {
              ValueId t =
                  b.add(OpKind::Transpose, {b.in(DType::F32, {17, 31})}, {{"perm", ints({1, 0})}});
              return b.add(OpKind::Add, {t, b.in(DType::F32, {31, 17})});
            })};
  case OpKind::Broadcast:
    return {single("broadcast a row",
                   [](CaseBuilder &b) {
                     ValueId v = b.add(OpKind::Broadcast, {b.in(DType::F32, {17})},
                                       {{"dims", ints({1})}, {"shape", ints({3, 17, 31})}});
                     return b.add(OpKind::Mul, {v, b.in(DType::F32, {3, 17, 31})});
                   }),
            single("broadcast size-1 dims",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Broadcast, {b.in(DType::F32, {1, 31})},
                                  {{"dims", ints({0, 1})}, {"shape", ints({17, 31})}});
                   }),
            single("broadcast a scalar",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Broadcast, {b.in(DType::Bool, {})},
                                  {{"dims", ints({})}, {"shape", ints({3, 17})}});
                   }),
            single(
                "broadcast of a computed value",
                [](CaseBuilder &b) {
                  ValueId s = b.add(OpKind::Exp, {b.in(DType::F32, {63})});
                  ValueId v = b.add(OpKind::Broadcast, {s},
                                    {{"dims", ints({0})}, {"shape", ints({63, 17})}});
                  return b.add(OpKind::Sub, {b.in(DType::F32, {63, 17}), v});
                },
                {}, kMathTolerance)};
  case OpKind::Slice:
    return {single("slice strided",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Slice, {b.in(DType::F32, {31, 17})},
                                  {{"start", ints({1, 2})},
                                   {"limit", ints({30, 17})},
                                   {"stride", ints({3, 2})}});
                   }),
            single("slice read by a fused op", [](CaseBuilder &b) {
              ValueId s = b.add(OpKind::Slice, {b.in(DType::I32, {3, 63})},
                                {{"start", ints({0, 31})}, {"limit", ints({3, 63})}});
              return b.add(OpKind::Mul, {s, s});
            })};
  case OpKind::Concat:
    return {single("concat axis 0",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Concat,
                                  {b.in(DType::F32, {3, 17}), b.in(DType::F32, {5, 17}),
                                   b.in(DType::F32, {1, 17})},
                                  {{"axis", int64_t(0)}});
                   }),
            single("concat axis 1 of fused parts", [](CaseBuilder &b) {
              ValueId x = b.in(DType::F32, {17, 3}), y = b.in(DType::F32, {17, 31});
              return b.add(OpKind::Concat, {b.add(OpKind::Neg, {x}), b.add(OpKind::Abs, {y}), x},
                           {{"axis", int64_t(1)}});
            })};
  case OpKind::Pad:
    return {single("pad f32",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::Pad, {b.in(DType::F32, {3, 17})},
                                  {{"low", ints({1, 2})}, {"high", ints({3, 0})}, {"value", 1.5}});
                   }),
            single("pad i32 read by a fused op", [](CaseBuilder &b) {
              ValueId p = b.add(OpKind::Pad, {b.in(DType::I32, {17})},
                                {{"low", ints({31})}, {"high", ints({1})}});
              return b.add(OpKind::Neg, {p});
            })};
  case OpKind::OneHot:
    return {single(
        "one_hot with indices out of range",
        [](CaseBuilder &b) {
          return b.add(OpKind::OneHot, {b.in(DType::I32, {63})},
                       {{"depth", int64_t(10)}, {"dtype", std::string("f32")}});
        },
        [] {
          ValueDomain d;
          d.intLimit = 12;
          return d;
        }())};
  case OpKind::AllReduce: // a single process: the identity, as its own kernel between others
    return {single("all_reduce sum f32",
                   [](CaseBuilder &b) {
                     return b.add(OpKind::AllReduce, {b.in(DType::F32, {3, 17})},
                                  {{"reduction", std::string("sum")}});
                   }),
            single("all_reduce mean f64 of a computed value, read by a loop",
                   [](CaseBuilder &b) {
                     ValueId x = b.in(DType::F64, {63});
                     ValueId r = b.add(OpKind::AllReduce, {b.add(OpKind::Mul, {x, x})},
                                       {{"reduction", std::string("mean")}});
                     return b.add(OpKind::Add, {r, x});
                   }),
            single("all_reduce sum i32", [](CaseBuilder &b) {
              return b.add(OpKind::AllReduce, {b.in(DType::I32, {1})},
                           {{"reduction", std::string("sum")}});
            })};
  }
  return {};
}

} // namespace kiln::test
