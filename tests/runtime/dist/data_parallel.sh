#!/usr/bin/env bash
# The data-parallel tests (tests/runtime/dist/CMakeLists.txt): TEST KILN_DP_RUN KILN MPIRUN MNIST
#   equivalence:MODEL  mpirun -np 2 at batch 32 ends with the parameters of one process at
#                      batch 64 (20 SGD steps, dropout and augmentation on), within 1e-5;
#                      the gradients go in all_reduce buckets of one (mlp) or several
#                      (cnn) gradients, reduced while the backward pass goes on.
#                      (SGD: Adam divides each gradient element by its running RMS, so an
#                      element that is ~0 turns one rounding of the sum into a full-size
#                      step; the same runs with Adam agree to 8e-5 (mlp) and 2e-4 (cnn).)
#   cli                mpirun -np 2 kiln train: one report, a checkpoint that a single
#                      process resumes; ranks that build different steps stop in one line;
#                      --world-size without mpirun is refused
#   replicas           the epoch-end check takes rank 0's batch-norm statistics and stops
#                      every rank, in one line, when a parameter differs between ranks
#   fault              a rank killed mid-run ends the job within 60 s with a non-zero exit,
#                      and the last checkpoint still evaluates and resumes
#   unreachable        a rank stopped mid-run (alive, connections open, never answering):
#                      the other ends the job when its collective passes the deadline
#                      (KILN_COLLECTIVE_TIMEOUT, 5 s here), in one line naming what waited
set -eu
test=$1 run=$2 kiln=$3 mpirun=$4 mnist=$5
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# Root in a container: OpenMPI refuses root without these, and its shared-memory
# transport's single-copy mode needs ptrace rights that containers often lack.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpi() { "$mpirun" -np 2 "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

be32() { printf '%08x' "$1" | sed 's/../\\x&/g'; }
# The first N training and M test images of MNIST as a folder of IDX files.
subset() {
  local n=$1 m=$2 split count
  mkdir -p "$d/mnist"
  for split in train t10k; do
    count=$([[ $split == train ]] && echo "$n" || echo "$m")
    { printf '\x00\x00\x08\x03'; printf "$(be32 "$count")"; printf '\x00\x00\x00\x1c\x00\x00\x00\x1c'
      tail -c +17 "$mnist/$split-images-idx3-ubyte" | head -c $((count * 784)) || true
    } >"$d/mnist/$split-images-idx3-ubyte"
    { printf '\x00\x00\x08\x01'; printf "$(be32 "$count")"
      tail -c +9 "$mnist/$split-labels-idx1-ubyte" | head -c "$count" || true
    } >"$d/mnist/$split-labels-idx1-ubyte"
  done
}

case $test in
equivalence:*)
  model=${test#equivalence:}
  # mlp: every gradient in a bucket of its own; the others: 1 MiB buckets. vit draws
  # dropout masks inside attention ([batch x heads, ...]); lstm has 28 unrolled steps.
  [[ $model == mlp ]] && export KILN_BUCKET_BYTES=0
  "$run" train "$model" sgd 64 "$d/one.safetensors"
  mpi "$run" train "$model" sgd 32 "$d/two.safetensors"
  "$run" compare "$d/one.safetensors" "$d/two.safetensors" 1e-5
  ;;
replicas)
  mpi "$run" replicas icnn >"$d/out" 2>"$d/err" || fail "kiln_dp_run replicas: $(cat "$d/err")"
  grep -qx "rank 1: batch-norm statistics re-aligned" "$d/out" || fail "buffers: $(cat "$d/out")"
  test "$(grep -c '^the model and optimizer state after a fault differs between ranks: rank 0 has [0-9a-f]*, rank 1 has [0-9a-f]*$' "$d/out")" = 1 ||
    fail "not one line naming the ranks that differ: $(cat "$d/out")"
  ;;
cli)
  subset 2570 300
  if "$kiln" train mlp --world-size 2 --data "$d/mnist" --out "$d/x" 2>"$d/err"; then
    fail "--world-size 2 without mpirun was accepted"
  fi
  grep -qx "kiln: error: --world-size 2: this kiln was not started by mpirun; run \`mpirun -np 2 kiln train ...\`" "$d/err" ||
    fail "unexpected error: $(cat "$d/err")"
  test ! -e "$d/x" || fail "the refused run made its output folder"

  mpi "$kiln" train mlp --world-size 2 --epochs 1 --batch 32 --data "$d/mnist" --out "$d/run" \
    >"$d/out" 2>"$d/err" || fail "mpirun kiln train: $(cat "$d/err")"
  test "$(grep -c '^\[mlp\] epoch  1 | ' "$d/err")" = 1 || fail "not one epoch line: $(cat "$d/err")"
  grep -qx '\[mlp\] data-parallel: 2 ranks x batch 32; the last 10 of 2570 training samples of each epoch.s order are dropped (ranks take equal batches)' "$d/err" ||
    fail "no line about the dropped samples: $(cat "$d/err")"
  test "$(grep -c '^confusion matrix' "$d/out")" = 1 || fail "not one report on stdout"
  test -s "$d/run/checkpoint/epoch-1/manifest.json" || fail "no checkpoint of epoch 1"
  test -s "$d/run/confusion_matrix.png" || fail "no report files"

  # Another world size continues the run: one process takes the checkpoint of two.
  "$kiln" train mlp --epochs 2 --resume "$d/run/checkpoint" --data "$d/mnist" --out "$d/run" \
    >/dev/null 2>"$d/err" || fail "resume in one process: $(cat "$d/err")"
  grep -q "resuming after epoch 1 of 2" "$d/err" || fail "did not resume: $(cat "$d/err")"
  test -s "$d/run/checkpoint/epoch-2/manifest.json" || fail "no checkpoint of epoch 2"

  if mpi "$kiln" train mlp --world-size 3 --data "$d/mnist" --out "$d/x" 2>"$d/err"; then
    fail "--world-size 3 under mpirun -np 2 was accepted"
  fi
  test "$(grep -c '^kiln: error:' "$d/err")" = 1 &&
    grep -qx "kiln: error: --world-size 3: mpirun started 2 ranks" "$d/err" ||
    fail "not one line for --world-size 3: $(cat "$d/err")"
  if mpi "$kiln" mnist --models mlp --data "$d/mnist" --out "$d/x" 2>"$d/err"; then
    fail "kiln mnist ran under mpirun"
  fi
  test "$(grep -c '^kiln: error:' "$d/err")" = 1 &&
    grep -q "^kiln: error: kiln mnist runs in one process" "$d/err" ||
    fail "not one line refusing kiln mnist: $(cat "$d/err")"
  test ! -e "$d/x" || fail "a refused run made its output folder"

  # kiln profile times the all_reduce kernels of the data-parallel step.
  mpi "$kiln" profile mlp --world-size 2 --batch 32 --runs 3 >"$d/out" 2>"$d/err" ||
    fail "mpirun kiln profile: $(cat "$d/err")"
  grep -q "^data-parallel: 2 ranks x batch 32; all_reduce kernels .* ms, waiting for buckets .* ms = .*% of the step$" "$d/out" ||
    fail "no communication line: $(cat "$d/out")"
  test "$(grep -c " collective .* ranks$" "$d/out")" = 6 || fail "not 6 all_reduce rows: $(cat "$d/out")"
  grep -q "(waiting for all_reduce buckets)  wait .* ranks$" "$d/out" || fail "no waiting row: $(cat "$d/out")"

  # Ranks that would reduce gradients of different steps stop before the first step.
  if "$mpirun" -np 1 "$kiln" train mlp --epochs 1 --data "$d/mnist" --out "$d/mixed" : \
    -np 1 "$kiln" train mlp --epochs 1 --optimizer sgd --data "$d/mnist" --out "$d/mixed" \
    >/dev/null 2>"$d/err"; then
    fail "ranks with different steps trained"
  fi
  test "$(grep -c '^kiln: error: the train step (kiln version, model, flags) differs between ranks: rank 0 has [0-9a-f]*, rank 1 has [0-9a-f]*$' "$d/err")" = 1 ||
    fail "not one line naming the mismatch: $(cat "$d/err")"
  ;;
fault)
  subset 6400 300
  mpi "$kiln" train mlp --epochs 500 --batch 32 --data "$d/mnist" --out "$d/run" \
    >/dev/null 2>"$d/err" &
  job=$!
  # An epoch takes ~0.1 s, and each checkpoint replaces the one before: wait for any
  # complete checkpoint past epoch 1.
  saved() { ls "$d"/run/checkpoint/epoch-*/manifest.json 2>/dev/null |
    sed -n 's|.*/epoch-\([0-9]*\)/manifest.json$|\1|p' | sort -n | tail -1; }
  for _ in $(seq 600); do
    test "$(saved)" -ge 2 2>/dev/null && break
    sleep 0.1
  done
  test "$(saved)" -ge 2 2>/dev/null || fail "no checkpoint within 60 s: $(cat "$d/err")"
  victim=$(pgrep -P "$job" -f "kiln train" | tail -1)
  test -n "$victim" || victim=$(pgrep -f "^$kiln train mlp --epochs 500" | tail -1)
  test -n "$victim" || fail "no rank to kill"
  kill -9 "$victim"
  start=$SECONDS
  for _ in $(seq 600); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$job" 2>/dev/null; then
    kill -9 "$job"
    fail "the job still ran 60 s after rank $victim was killed"
  fi
  status=0
  wait "$job" || status=$?
  test "$status" != 0 || fail "the job exited 0 after a rank was killed"
  echo "job ended $((SECONDS - start)) s after the kill, exit code $status"
  last=$(ls "$d/run/checkpoint" | sed -n 's/^epoch-\([0-9]*\)$/\1/p' | sort -n | tail -1)
  "$kiln" eval "$d/run/checkpoint" --data "$d/mnist" >/dev/null 2>"$d/eval" ||
    fail "the last checkpoint does not evaluate: $(cat "$d/eval")"
  mpi "$kiln" train mlp --epochs $((last + 1)) --resume "$d/run/checkpoint" --data "$d/mnist" \
    --out "$d/run" >/dev/null 2>"$d/err" || fail "resume after the fault: $(cat "$d/err")"
  test -s "$d/run/checkpoint/epoch-$((last + 1))/manifest.json" || fail "no checkpoint after resume"
  ;;
unreachable)
  subset 6400 300
  export KILN_COLLECTIVE_TIMEOUT=5
  "$mpirun" -np 2 -x KILN_COLLECTIVE_TIMEOUT "$kiln" train mlp --epochs 500 --batch 32 \
    --data "$d/mnist" --out "$d/run" >/dev/null 2>"$d/err" &
  job=$!
  for _ in $(seq 600); do
    test -n "$(ls "$d"/run/checkpoint/epoch-*/manifest.json 2>/dev/null)" && break
    sleep 0.1
  done
  victim=$(pgrep -P "$job" -f "kiln train" | tail -1)
  test -n "$victim" || victim=$(pgrep -f "^$kiln train mlp --epochs 500" | tail -1)
  test -n "$victim" || fail "no rank to stop: $(cat "$d/err")"
  kill -STOP "$victim"
  start=$SECONDS
  for _ in $(seq 600); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$job" 2>/dev/null; then
    kill -9 "$job" "$victim"
    fail "the job still ran 60 s after a rank stopped answering"
  fi
  status=0
  wait "$job" || status=$?
  test "$status" != 0 || fail "the job exited 0 after a rank stopped answering"
  echo "job ended $((SECONDS - start)) s after the stop, exit code $status"
  grep -q "^kiln: error: rank [01]: an all_reduce waited 5 s for the other ranks: one of them stopped or cannot be reached; ending the job$" "$d/err" ||
    fail "no line saying what waited: $(cat "$d/err")"
  for _ in $(seq 50); do kill -0 "$victim" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$victim" 2>/dev/null || fail "the stopped rank outlived the job by 5 s"
  "$kiln" eval "$d/run/checkpoint" --data "$d/mnist" >/dev/null 2>"$d/eval" ||
    fail "the last checkpoint does not evaluate: $(cat "$d/eval")"

  # A deadline that is not a number of seconds: one line for the job.
  if KILN_COLLECTIVE_TIMEOUT=soon "$mpirun" -np 2 -x KILN_COLLECTIVE_TIMEOUT "$kiln" train mlp \
    --data "$d/mnist" --out "$d/x" 2>"$d/err"; then
    fail "KILN_COLLECTIVE_TIMEOUT=soon was accepted"
  fi
  test "$(grep -c '^kiln: error:' "$d/err")" = 1 &&
    grep -qx "kiln: error: KILN_COLLECTIVE_TIMEOUT=soon: not a number of seconds > 0" "$d/err" ||
    fail "not one line for KILN_COLLECTIVE_TIMEOUT=soon: $(cat "$d/err")"
  ;;
*)
  fail "unknown test $test"
  ;;
esac
echo "PASS $test"
