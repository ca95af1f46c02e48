#!/usr/bin/env bash
# Prints one table of train-step times at batch 64 -- PyTorch (when python3-torch is
# installed), kiln's interpreter, kiln's JIT -- with the JIT/PyTorch and JIT/interpreter
# ratios, all measured in this one run (medians of REPS repetitions).
#   bench/compare.sh                 # BUILD=build REPS=5 THREADS=all cores
#   BASELINE=../old/build bench/compare.sh   # adds the JIT of another build (e.g. the
#                                            # commit before a change), measured in this run
# PyTorch runs ../shared/reference/pytorch_mnist.py (REFERENCE=...) and, for lstm and
# vit, pytorch_sequence_models.py (SEQ_REFERENCE=...) for STEPS steps of one epoch on
# data/mnist (scripts/fetch_mnist.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
reps=${REPS:-5}
steps=${STEPS:-300}
threads=${THREADS:-$(nproc)}
reference=${REFERENCE:-../shared/reference/pytorch_mnist.py}
seq_reference=${SEQ_REFERENCE:-../shared/reference/pytorch_sequence_models.py}

ninja -C "$build" kiln_bench >/dev/null
kiln_json=$(mktemp)
baseline_json=$(mktemp)
trap 'rm -f "$kiln_json" "$baseline_json"' EXIT
KILN_THREADS=$threads "$build/bench/kiln_bench" --benchmark_filter='^train_step/' \
  --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_out="$kiln_json" --benchmark_out_format=json >/dev/null 2>&1
if [[ -n ${BASELINE:-} ]]; then
  KILN_THREADS=$threads "$BASELINE/bench/kiln_bench" --benchmark_filter='^train_step/.*/jit' \
    --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_out="$baseline_json" --benchmark_out_format=json >/dev/null 2>&1
fi

torch_lines=""
if /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null && [[ -f $reference ]]; then
  root=$(mktemp -d)
  mkdir -p "$root/MNIST/raw"
  for f in data/mnist/*-ubyte; do ln -s "$PWD/$f" "$root/MNIST/raw/"; done
  torch_lines=$(/usr/bin/python3 "$reference" "$root" --epochs 1 --steps "$steps" \
                  --threads "$threads" 2>/dev/null || true)
  if [[ -f $seq_reference ]]; then
    torch_lines+=$'\n'$(/usr/bin/python3 "$seq_reference" "$root" --epochs 1 --steps "$steps" \
                         --threads "$threads" 2>/dev/null || true)
  fi
  rm -rf "$root"
fi

python3 - "$kiln_json" "$torch_lines" "$threads" "$baseline_json" <<'PY'
import json, os, sys
def medians(path):
    ms = {}
    if not os.path.getsize(path):
        return ms
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        _, model, backend = b["run_name"].split("/")[:3]
        ms[(model, backend)] = b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e3
    return ms
kiln = json.load(open(sys.argv[1]))
ms = medians(sys.argv[1])
baseline = medians(sys.argv[4])
torch = {}
for line in sys.argv[2].splitlines():
    try:
        row = json.loads(line)
        torch[row["model"]] = row["ms_per_step"]
    except (ValueError, KeyError):
        pass
def cell(v):
    return f"{v:8.2f}" if v is not None else "       -"
def ratio(a, b):
    return f"{a / b:7.2f}x" if a and b else "       -"
print(f"train step, batch 64, {sys.argv[3]} threads, medians (ms); {kiln['context']['host_name']}")
extra = f" {'baseline':>8} {'base/jit':>8}" if baseline else ""
print(f"{'model':6} {'pytorch':>8} {'interp':>8} {'jit':>8} {'pt/jit':>8} {'interp/jit':>10}{extra}")
for model in ("mlp", "cnn", "icnn", "lstm", "vit"):
    p, i, j = torch.get(model), ms.get((model, "interp")), ms.get((model, "jit"))
    b = baseline.get((model, "jit"))
    extra = f" {cell(b)} {ratio(b, j)}" if baseline else ""
    print(f"{model:6} {cell(p)} {cell(i)} {cell(j)} {ratio(p, j)} {ratio(i, j):>10}{extra}")
if not torch:
    print("(pytorch: not measured -- apt-get install python3-torch python3-torchvision)")
PY
