#!/usr/bin/env bash
# Guards the suite itself: every Catch2 test case must be one ctest test. A test name
# that CMake's list syntax mangles (an unbalanced '[' folds it and every name after it
# into one entry) makes catch_discover_tests register a test whose filter matches no
# case; that test runs nothing and used to pass. This compares, per Catch2 binary, the
# number of cases the binary lists with the number of ctest tests carrying its prefix,
# and rejects any ctest name holding a ';' (several names folded into one).
# Usage: check_registration.sh BUILD_DIR CTEST BINARY...
set -euo pipefail
build=$1 ctest=$2
shift 2
listing=$("$ctest" --test-dir "$build" -N)
status=0
if folded=$(grep -E '^ *Test +#[0-9]+: .*;' <<<"$listing"); then
  echo "ctest entries that fold several test cases into one name:" >&2
  cut -c1-200 <<<"$folded" >&2
  status=1
fi
for binary in "$@"; do
  name=$(basename "$binary")
  cases=$("$binary" --list-test-names-only | grep -c . || true)
  registered=$(grep -cE "^ *Test +#[0-9]+: ${name}:" <<<"$listing" || true)
  if [[ $cases != "$registered" ]]; then
    echo "$name: $cases test cases, but $registered ctest tests" >&2
    status=1
  fi
done
((status == 0)) && echo "every Catch2 test case of $# binaries is one ctest test"
exit $status
