// The JIT's maths allow-list is a rule about names (codegen/MathSymbols.h): any C maths
// function in its f32 and f64 forms, its libmvec variants and libgcc's powi, and
// nothing else of the process.
#include "kiln/codegen/MathSymbols.h"

#include <catch2/catch.hpp>

using namespace kiln::codegen;

TEST_CASE("the maths functions LLVM rewrites calls into resolve", "[jit]") {
  for (const char *name :
       {"expf", "exp", "exp2f", "exp2", "exp10f", "exp10", "ldexpf", "ldexp", "sinf", "cos",
        "sincosf", "sincos", "tanhf", "powf", "fma", "sqrtf", "__powisf2", "__powidf2"}) {
    INFO(name);
    CHECK(mathSymbol(name) != nullptr);
  }
  if (haveVectorMath())
    for (const char *name :
         {"_ZGVdN8v_expf", "_ZGVbN2v_exp", "_ZGVdN4vv_pow", "_ZGVeN16v_logf", "_ZGVcN8v_sinf"}) {
      INFO(name);
      CHECK(mathSymbol(name) != nullptr);
    }
}

TEST_CASE("names outside the maths library do not resolve", "[jit]") {
  for (const char *name : {"system", "free", "malloc", "printf", "exit", "dlopen", "expff",
                           "_ZGVdN8v_system", "_ZGV", "_ZGVzN8v_expf", "__powitf2", ""}) {
    INFO(name);
    CHECK(mathSymbol(name) == nullptr);
  }
}
