// JitEngine at its boundary: hand-written LLVM IR (the one test that includes LLVM), so
// failures no graph can produce today are still checked: a call outside the runtime
// allow-list is a kiln::Error naming the symbol, and ORC prints nothing to stderr.
#include "kiln/codegen/JitEngine.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>
#include <llvm/AsmParser/Parser.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/SourceMgr.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace kiln;

namespace {

std::unique_ptr<codegen::JitCode> addIr(const char *text) {
  auto context = std::make_unique<llvm::LLVMContext>();
  llvm::SMDiagnostic diagnostic;
  std::unique_ptr<llvm::Module> module = llvm::parseAssemblyString(text, diagnostic, *context);
  REQUIRE(module);
  return codegen::JitEngine::global().addModule(std::move(context), std::move(module), {});
}

/// What `body` writes to file descriptor 2 (where LLVM's errs() goes).
template <typename Body> std::string stderrOf(Body body) {
  std::fflush(stderr);
  char path[] = "/tmp/kiln-stderr-XXXXXX";
  int file = mkstemp(path);
  REQUIRE(file >= 0);
  int saved = dup(2);
  dup2(file, 2);
  try {
    body();
  } catch (...) {
    dup2(saved, 2);
    close(saved);
    close(file);
    throw;
  }
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(file);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path);
  return text.str();
}

} // namespace

TEST_CASE("code calling outside the allow-list is a kiln::Error naming the symbol", "[jit]") {
  std::unique_ptr<codegen::JitCode> code = addIr(R"(
    declare i32 @system(ptr)
    define i32 @kiln_step(ptr %args, ptr %arena) {
      %status = call i32 @system(ptr null)
      ret i32 %status
    })");
  std::string message;
  std::string printed = stderrOf([&] {
    try {
      code->lookup("kiln_step");
    } catch (const Error &e) {
      message = e.what();
    }
  });
  CHECK_THAT(message, Catch::Contains("cannot link kiln_step") &&
                          Catch::Contains("Symbols not found: [ system ]") &&
                          Catch::Contains("the C maths library"));
  CHECK(printed == "");
}

TEST_CASE("maths functions LLVM calls on its own link", "[jit]") {
  // exp2f and ldexpf are what LLVM makes of pow(2, x) and pow(2, float(i)).
  std::unique_ptr<codegen::JitCode> code = addIr(R"(
    declare float @exp2f(float)
    declare float @ldexpf(float, i32)
    define float @twice(float %x, i32 %i) {
      %a = call float @exp2f(float %x)
      %b = call float @ldexpf(float %a, i32 %i)
      ret float %b
    })");
  auto *twice = code->lookup<float(float, int)>("twice");
  CHECK(twice(3.0f, 2) == 32.0f);
}
