# Instrumented builds, each in a build folder of its own:
#   -DKILN_SANITIZE=ON  AddressSanitizer + UndefinedBehaviorSanitizer over all of kiln's
#                       code (scripts/test.sh --sanitize)
#   -DKILN_FUZZ=ON      the same plus libFuzzer's coverage, and the harnesses in fuzz/;
#                       needs clang (scripts/fuzz.sh)
# The JIT's kernels and libjit's bitcode are not instrumented: LLVM compiles them at run
# time, outside these flags.
option(KILN_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(KILN_FUZZ "Build the libFuzzer harnesses in fuzz/ (clang only)" OFF)

if(KILN_SANITIZE OR KILN_FUZZ)
  set(kiln_sanitizers -fsanitize=address,undefined)
  if(KILN_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "KILN_FUZZ needs clang (CMAKE_CXX_COMPILER=clang++-19)")
    endif()
    list(APPEND kiln_sanitizers -fsanitize=fuzzer-no-link)
    # libstdc++ 12's std::stable_sort calls its own deprecated get_temporary_buffer,
    # which clang (unlike g++) reports from inside the system header.
    add_compile_options(-Wno-deprecated-declarations)
  endif()
  add_compile_options(${kiln_sanitizers} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's manual: the sanitizers' instrumentation makes -Wmaybe-uninitialized report
    # false positives (here inside libstdc++'s <regex> and <functional>).
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  # clang's -fsanitize=function (part of "undefined") reads a signature word before every
  # indirect callee; the JIT's entry points are LLVM-compiled and have none, so the check
  # itself faults when kiln calls them.
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag(-fno-sanitize=function KILN_HAS_FSANITIZE_FUNCTION)
  if(KILN_HAS_FSANITIZE_FUNCTION)
    add_compile_options(-fno-sanitize=function)
  endif()
endif()
