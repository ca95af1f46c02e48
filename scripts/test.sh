#!/usr/bin/env bash
# Installs what is missing, builds kiln and runs every test: the suite (unit, golden IR,
# FileCheck, gradient checks, end-to-end; tests needing MNIST fetch it first), then the
# sanitized suite and the fuzzers.
#   bash scripts/test.sh                      all of it (what CI runs)
#   bash scripts/test.sh --sanitize [REGEX]   only the sanitized suite: the ctest tests
#                                             matching REGEX ("all": every test; default:
#                                             the IR, the passes, the interpreter and the
#                                             file readers), built with ASan+UBSan in
#                                             ./build-sanitize
# The fuzzers alone: scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# The part of the suite CI runs sanitized: the binaries without the JIT's long compiles,
# which would take the sanitized run past CI's time.
sanitized_binaries=(kiln_ir_tests kiln_passes_tests kiln_passes_model_tests kiln_interp_tests
                    kiln_io_tests kiln_data_tests)

sanitized_suite() {
  local regex=${1:-}
  bash scripts/setup.sh --no-build
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_SANITIZE=ON >/dev/null
  if [[ -z $regex ]]; then
    ninja -C build-sanitize "${sanitized_binaries[@]}"
    regex="^($(IFS='|'; echo "${sanitized_binaries[*]}")):"
  else
    ninja -C build-sanitize
    [[ $regex == all ]] && regex=.
  fi
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-sanitize --output-on-failure -j2 -R "$regex"
}

if [[ ${1:-} == --sanitize ]]; then
  sanitized_suite "${2:-}"
  exit
fi

bash scripts/setup.sh
bash scripts/fetch_mnist.sh data/mnist
ctest --test-dir build --output-on-failure -j2
sanitized_suite
bash scripts/fuzz.sh 60
