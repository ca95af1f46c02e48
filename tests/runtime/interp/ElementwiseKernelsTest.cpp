// Elementwise kernels: unary maths, binary arithmetic, compare, select and convert, on
// every dtype each op accepts.
#include "InterpTestUtil.h"

#include <limits>

using namespace kiln;
using namespace kiln::test;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
constexpr double kIntMin = -2147483648.0, kIntMax = 2147483647.0;

Tensor compare(const Tensor &a, const Tensor &b, const char *direction) {
  return eval(OpKind::Compare, {a, b}, {{"direction", std::string(direction)}});
}
Tensor convert(const Tensor &x, const char *dtype) {
  return eval(OpKind::Convert, {x}, {{"dtype", std::string(dtype)}});
}
} // namespace

TEST_CASE("unary float kernels", "[interp]") {
  SECTION("neg and abs") {
    Tensor x = f32({5}, {-2, -0.5, 0, 0.5, 3});
    checkTensor(eval(OpKind::Neg, {x}), {5}, {2, 0.5, 0, -0.5, -3});
    checkTensor(eval(OpKind::Abs, {x}), {5}, {2, 0.5, 0, 0.5, 3});
  }
  SECTION("exp") {
    checkTensor(eval(OpKind::Exp, {f64({4}, {-1, 0, 1, 2})}), {4},
                {0.36787944117144233, 1, 2.718281828459045, 7.38905609893065}, 1e-15);
  }
  SECTION("log") {
    checkTensor(eval(OpKind::Log, {f64({5}, {1, 2.718281828459045, 0.5, 0, -1})}), {5},
                {0, 1, -0.6931471805599453, -kInf, kNaN}, 1e-15);
  }
  SECTION("sqrt") {
    checkTensor(eval(OpKind::Sqrt, {f32({5}, {0, 1, 4, 2, -1})}), {5},
                {0, 1, 2, 1.4142135623730951, kNaN});
  }
  SECTION("rsqrt") {
    checkTensor(eval(OpKind::Rsqrt, {f32({4}, {1, 4, 0.25, 0})}), {4}, {1, 0.5, 2, kInf});
  }
  SECTION("tanh") {
    checkTensor(eval(OpKind::Tanh, {f64({3}, {0, 1, -1})}), {3},
                {0, 0.7615941559557649, -0.7615941559557649}, 1e-15);
  }
  SECTION("logistic is stable at both ends") {
    checkTensor(eval(OpKind::Logistic, {f64({6}, {0, 2, -2, -1000, 1000, -30})}), {6},
                {0.5, 0.8807970779778823, 0.11920292202211755, 0, 1, 9.357622968839299e-14}, 1e-15);
    Tensor f = eval(OpKind::Logistic, {f32({3}, {-200, 200, -88})});
    checkTensor(f, {3}, {0, 1, 6.0546018954011858e-39}, 1e-6);
    CHECK(f.data<float>()[2] > 0); // a denormal, not flushed to NaN or 0 by exp overflow
  }
  SECTION("matches the C library on an awkward shape, in f32 and f64") {
    Tensor x64 = randomTensor({DType::F64, {1, 17}}, 3, 0.1, 4.0);
    Tensor x32 = x64.converted(DType::F32);
    struct Case {
      OpKind op;
      double (*ref)(double);
    };
    for (Case c : {Case{OpKind::Exp, [](double v) { return std::exp(v); }},
                   Case{OpKind::Log, [](double v) { return std::log(v); }},
                   Case{OpKind::Sqrt, [](double v) { return std::sqrt(v); }},
                   Case{OpKind::Rsqrt, [](double v) { return 1 / std::sqrt(v); }},
                   Case{OpKind::Tanh, [](double v) { return std::tanh(v); }},
                   Case{OpKind::Logistic, [](double v) { return 1 / (1 + std::exp(-v)); }}}) {
      INFO(mnemonic(c.op));
      std::vector<double> expected;
      for (double v : valuesOf(x64))
        expected.push_back(c.ref(v));
      checkTensor(eval(c.op, {x64}), {1, 17}, expected, 1e-14);
      // f32 inputs are the rounded f64 inputs, so compare with a float tolerance.
      checkTensor(eval(c.op, {x32}), {1, 17}, expected, 1e-5);
    }
  }
}

TEST_CASE("unary i32 kernels wrap around", "[interp]") {
  Tensor x = i32({4}, {-3, 0, 5, kIntMin});
  checkTensor(eval(OpKind::Neg, {x}), {4}, {3, 0, -5, kIntMin});
  checkTensor(eval(OpKind::Abs, {x}), {4}, {3, 0, 5, kIntMin});
}

TEST_CASE("binary float kernels", "[interp]") {
  Tensor a = f32({3}, {1, -2, 3.5}), b = f32({3}, {4, 0.5, -2});
  SECTION("add") { checkTensor(eval(OpKind::Add, {a, b}), {3}, {5, -1.5, 1.5}); }
  SECTION("sub") { checkTensor(eval(OpKind::Sub, {a, b}), {3}, {-3, -2.5, 5.5}); }
  SECTION("mul") { checkTensor(eval(OpKind::Mul, {a, b}), {3}, {4, -1, -7}); }
  SECTION("div") {
    checkTensor(eval(OpKind::Div, {a, b}), {3}, {0.25, -4, -1.75});
    checkTensor(eval(OpKind::Div, {f64({3}, {1, 1, -1}), f64({3}, {3, 0, 0})}), {3},
                {1.0 / 3.0, kInf, -kInf}, 1e-16);
  }
  SECTION("max and min propagate NaN") {
    Tensor x = f64({4}, {1, kNaN, 3, -0.5}), y = f64({4}, {2, 1, kNaN, -0.25});
    checkTensor(eval(OpKind::Max, {x, y}), {4}, {2, kNaN, kNaN, -0.25});
    checkTensor(eval(OpKind::Min, {x, y}), {4}, {1, kNaN, kNaN, -0.5});
  }
  SECTION("pow") {
    checkTensor(eval(OpKind::Pow, {f32({4}, {2, 9, 2, 0}), f32({4}, {3, 0.5, -1, 0})}), {4},
                {8, 3, 0.5, 1});
  }
  SECTION("f32 arithmetic rounds to f32") {
    Tensor r = eval(OpKind::Add, {f32({1}, {0.1}), f32({1}, {0.2})});
    CHECK(r.data<float>()[0] == 0.1f + 0.2f);
  }
}

TEST_CASE("binary i32 kernels", "[interp]") {
  SECTION("add, sub, mul wrap around") {
    checkTensor(eval(OpKind::Add, {i32({2}, {kIntMax, 3}), i32({2}, {1, -5})}), {2}, {kIntMin, -2});
    checkTensor(eval(OpKind::Sub, {i32({2}, {kIntMin, 3}), i32({2}, {1, 5})}), {2}, {kIntMax, -2});
    checkTensor(eval(OpKind::Mul, {i32({2}, {65536, -7}), i32({2}, {65536, 6})}), {2}, {0, -42});
  }
  SECTION("div truncates toward zero; x/0 is 0; INT_MIN/-1 wraps") {
    checkTensor(eval(OpKind::Div, {i32({5}, {7, -7, 7, 5, kIntMin}), i32({5}, {2, 2, -2, 0, -1})}),
                {5}, {3, -3, -3, 0, kIntMin});
  }
  SECTION("max and min") {
    Tensor a = i32({3}, {1, -4, 9}), b = i32({3}, {2, -5, 9});
    checkTensor(eval(OpKind::Max, {a, b}), {3}, {2, -4, 9});
    checkTensor(eval(OpKind::Min, {a, b}), {3}, {1, -5, 9});
  }
}

TEST_CASE("compare kernels give bool", "[interp]") {
  SECTION("every direction on f32") {
    Tensor a = f32({3}, {1, 2, 3}), b = f32({3}, {2, 2, 2});
    checkTensor(compare(a, b, "eq"), {3}, {0, 1, 0});
    checkTensor(compare(a, b, "ne"), {3}, {1, 0, 1});
    checkTensor(compare(a, b, "lt"), {3}, {1, 0, 0});
    checkTensor(compare(a, b, "le"), {3}, {1, 1, 0});
    checkTensor(compare(a, b, "gt"), {3}, {0, 0, 1});
    checkTensor(compare(a, b, "ge"), {3}, {0, 1, 1});
    CHECK(compare(a, b, "eq").dtype() == DType::Bool);
  }
  SECTION("NaN compares unequal to everything") {
    Tensor a = f64({2}, {kNaN, kNaN}), b = f64({2}, {kNaN, 1});
    checkTensor(compare(a, b, "eq"), {2}, {0, 0});
    checkTensor(compare(a, b, "ne"), {2}, {1, 1});
    checkTensor(compare(a, b, "ge"), {2}, {0, 0});
  }
  SECTION("i32 and bool") {
    checkTensor(compare(i32({3}, {-1, 5, 7}), i32({3}, {-1, 6, 6}), "le"), {3}, {1, 1, 0});
    checkTensor(compare(boolean({4}, {0, 0, 1, 1}), boolean({4}, {0, 1, 0, 1}), "lt"), {4},
                {0, 1, 0, 0});
  }
}

TEST_CASE("select kernels", "[interp]") {
  Tensor p = boolean({3}, {1, 0, 1});
  checkTensor(eval(OpKind::Select, {p, f32({3}, {1, 2, 3}), f32({3}, {4, 5, 6})}), {3}, {1, 5, 3});
  checkTensor(eval(OpKind::Select, {p, f64({3}, {1, 2, 3}), f64({3}, {4, 5, 6})}), {3}, {1, 5, 3});
  checkTensor(eval(OpKind::Select, {p, i32({3}, {-1, -2, -3}), i32({3}, {4, 5, 6})}), {3},
              {-1, 5, -3});
  checkTensor(eval(OpKind::Select, {p, boolean({3}, {0, 0, 0}), boolean({3}, {1, 1, 1})}), {3},
              {0, 1, 0});
}

TEST_CASE("convert kernels", "[interp]") {
  SECTION("float to i32 truncates toward zero and saturates") {
    checkTensor(convert(f32({6}, {2.7, -2.7, kNaN, 3e9, -3e9, 0.5}), "i32"), {6},
                {2, -2, 0, kIntMax, kIntMin, 0});
    checkTensor(convert(f64({3}, {-0.99, 2147483647.5, -2147483648.5}), "i32"), {3},
                {0, kIntMax, kIntMin});
  }
  SECTION("to bool is x != 0") {
    checkTensor(convert(f32({4}, {0, -0.0, 0.1, kNaN}), "bool"), {4}, {0, 0, 1, 1});
    checkTensor(convert(i32({2}, {0, -3}), "bool"), {2}, {0, 1});
  }
  SECTION("from bool and i32") {
    checkTensor(convert(boolean({2}, {0, 1}), "f32"), {2}, {0, 1});
    checkTensor(convert(boolean({2}, {0, 1}), "i32"), {2}, {0, 1});
    checkTensor(convert(i32({2}, {-5, 7}), "f64"), {2}, {-5, 7});
  }
  SECTION("between float widths rounds to nearest") {
    Tensor r = convert(f64({1}, {0.1}), "f32");
    CHECK(r.data<float>()[0] == 0.1f);
    Tensor back = convert(r, "f64");
    CHECK(back.data<double>()[0] == double(0.1f));
  }
  SECTION("to the same dtype copies") {
    checkTensor(convert(i32({3}, {1, 2, 3}), "i32"), {3}, {1, 2, 3});
  }
}
