#!/usr/bin/env bash
# Builds one example against an installed kiln and runs it. CHECK says what its output
# must show: `loss`, lines "... loss L ..." whose loss falls (the mean of the last five
# below the mean of the first five); `accuracy=A`, lines "... test accuracy X", each
# X >= A.
# Usage: run_example.sh EXAMPLE_DIR BUILD_DIR PREFIX CHECK ARGS...
set -euo pipefail
source=$1 build=$2 prefix=$3 check=$4
shift 4
name=$(basename "$source")
cmake -S "$source" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" >"$build.build.log" 2>&1 || { cat "$build.build.log"; exit 1; }
output=$("$build/$name" "$@")
echo "$output"
if [[ $check == accuracy=* ]]; then
  awk -v min="${check#accuracy=}" '/test accuracy/ { n++; if ($NF + 0 < min + 0) { print "accuracy " $NF " below " min; bad = 1 } }
       END { if (n == 0) { print "no test accuracy line"; exit 1 } exit bad }' <<<"$output"
  exit
fi
awk '/loss/ { for (i = 1; i < NF; ++i) if ($i == "loss") l[n++] = $(i + 1) }
     END {
       if (n < 10) { print "expected at least 10 loss lines, got " n; exit 1 }
       for (i = 0; i < 5; ++i) { a += l[i]; b += l[n - 1 - i] }
       if (b >= a) { printf "the loss did not fall: first five %.4f, last five %.4f\n", a / 5, b / 5; exit 1 }
       printf "loss fell from %.4f to %.4f\n", a / 5, b / 5
     }' <<<"$output"
