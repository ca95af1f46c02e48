#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ (clang 19 with AddressSanitizer and UBSan, in
# ./build-fuzz) and runs each for SECONDS (default 60). Seeds are fuzz/seeds/ and every
# .kir file of the tests; the corpus each run grows is kept in build-fuzz/corpus/ for the
# next. A finding stops its fuzzer, is saved as build-fuzz/findings/NAME-crash-*, and makes
# this script fail. Prints each fuzzer's executions.
#   bash scripts/fuzz.sh [SECONDS] [ir|safetensors|idx ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
fuzzers=("$@")
((${#fuzzers[@]})) || fuzzers=(ir safetensors idx)

bash scripts/setup.sh --no-build
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-19 \
  -DKILN_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
ninja -C build-fuzz "${fuzzers[@]/#/kiln_fuzz_}"

mkdir -p build-fuzz/seeds/ir build-fuzz/findings
find tests -name '*.kir' -exec cp {} build-fuzz/seeds/ir/ \;

failed=0
for name in "${fuzzers[@]}"; do
  seeds=fuzz/seeds/$name
  [[ $name == ir ]] && seeds=build-fuzz/seeds/ir
  mkdir -p "build-fuzz/corpus/$name"
  log=build-fuzz/findings/$name.log
  # A gzip'd IDX header may honestly ask for the reader's 4 GiB payload limit.
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/fuzz/kiln_fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=6144 \
    -timeout=20 -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$name-" \
    "build-fuzz/corpus/$name" "$seeds" >"$log" 2>&1; then
    status=clean
  else
    status="FINDING (see $log)"
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  corpus=$(ls "build-fuzz/corpus/$name" | wc -l)
  printf 'fuzz %-12s %10s executions in %ss, corpus %s inputs: %s\n' "$name" "${runs:-?}" \
    "$seconds" "$corpus" "$status"
done
exit $failed
