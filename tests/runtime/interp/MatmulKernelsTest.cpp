// The matmul kernel: 2-D and batched, all transpose combinations, f32 and f64.
#include "InterpTestUtil.h"

using namespace kiln;
using namespace kiln::test;

namespace {
Tensor matmul(const Tensor &a, const Tensor &b, bool ta = false, bool tb = false) {
  return eval(OpKind::Matmul, {a, b}, {{"transpose_a", ta}, {"transpose_b", tb}});
}

/// C[b,i,j] = sum_k op(A)[b,i,k] op(B)[b,k,j] with plain loops over stored layouts.
std::vector<double> naiveMatmul(const Tensor &a, const Tensor &b, bool ta, bool tb, int64_t batch,
                                int64_t m, int64_t n, int64_t k) {
  std::vector<double> c;
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t q = 0; q < k; ++q) {
          double x = a.at(p * m * k + (ta ? q * m + i : i * k + q));
          double y = b.at(p * k * n + (tb ? j * k + q : q * n + j));
          s += x * y;
        }
        c.push_back(s);
      }
  return c;
}
} // namespace

TEST_CASE("matmul 2-D by hand", "[interp]") {
  Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = f32({3, 2}, {7, 8, 9, 10, 11, 12});
  SECTION("plain") { checkTensor(matmul(a, b), {2, 2}, {58, 64, 139, 154}); }
  SECTION("transpose_a") {
    Tensor at = f32({3, 2}, {1, 4, 2, 5, 3, 6});
    checkTensor(matmul(at, b, true, false), {2, 2}, {58, 64, 139, 154});
  }
  SECTION("transpose_b") {
    Tensor bt = f32({2, 3}, {7, 9, 11, 8, 10, 12});
    checkTensor(matmul(a, bt, false, true), {2, 2}, {58, 64, 139, 154});
  }
  SECTION("both, f64") {
    Tensor at = f64({3, 2}, {1, 4, 2, 5, 3, 6}), bt = f64({2, 3}, {7, 9, 11, 8, 10, 12});
    checkTensor(matmul(at, bt, true, true), {2, 2}, {58, 64, 139, 154});
  }
  SECTION("an empty contraction gives zeros") {
    checkTensor(matmul(f32({2, 0}, {}), f32({0, 3}, {})), {2, 3}, {0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("batched matmul with transposes matches a naive loop", "[interp]") {
  struct Dims {
    int64_t batch, m, n, k;
  };
  for (Dims d : {Dims{3, 1, 3, 17}, Dims{2, 17, 1, 3}, Dims{1, 5, 17, 1}, Dims{4, 33, 65, 31}}) {
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (DType dtype : {DType::F32, DType::F64}) {
          INFO("batch " << d.batch << " m " << d.m << " n " << d.n << " k " << d.k << " ta " << ta
                        << " tb " << tb << " " << dtypeName(dtype));
          Shape as = ta ? Shape{d.batch, d.k, d.m} : Shape{d.batch, d.m, d.k};
          Shape bs = tb ? Shape{d.batch, d.n, d.k} : Shape{d.batch, d.k, d.n};
          Tensor a = randomTensor({dtype, as}, 1), b = randomTensor({dtype, bs}, 2);
          double tol = dtype == DType::F32 ? 1e-5 : 1e-13;
          checkTensor(matmul(a, b, ta, tb), {d.batch, d.m, d.n},
                      naiveMatmul(a, b, ta, tb, d.batch, d.m, d.n, d.k), tol);
          if (d.batch == 1) { // the same product as a 2-D matmul
            Tensor a2 = a.reshaped({as[1], as[2]}), b2 = b.reshaped({bs[1], bs[2]});
            checkTensor(matmul(a2, b2, ta, tb), {d.m, d.n},
                        naiveMatmul(a, b, ta, tb, 1, d.m, d.n, d.k), tol);
          }
        }
  }
}
