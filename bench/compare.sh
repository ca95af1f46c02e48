#!/usr/bin/env bash
# Prints two tables measured in this one run -- PyTorch (when python3-torch is
# installed), kiln's interpreter, kiln's JIT -- with the ratios:
#   train step at batch 64 (ms per step);
#   inference: the eval step's throughput at batch 1000 (images/s) and the latency of
#   one prediction at batch 1 (us).
# Each figure is a median of REPS repetitions.
#   bench/compare.sh                 # BUILD=build REPS=5 THREADS=all cores
#   THREADS=1 bench/compare.sh       # one thread on every side
#   BASELINE=../old/build bench/compare.sh   # adds the JIT train step of another build
#                                            # (e.g. the commit before a change), the
#                                            # two taking turns for REPS rounds
# PyTorch's train step runs ../shared/reference/pytorch_mnist.py (REFERENCE=...) and,
# for lstm and vit, pytorch_sequence_models.py (SEQ_REFERENCE=...) for STEPS steps of
# one epoch on data/mnist (scripts/fetch_mnist.sh); its inference runs
# bench/pytorch_inference.py on the same models.
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
baseline_dir=$(mktemp -d)
trap 'rm -rf "$kiln_json" "$baseline_dir"' EXIT
KILN_THREADS=$threads "$build/bench/kiln_bench" --benchmark_filter='^(train_step|eval_1000|predict_1)/' \
  --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_out="$kiln_json" --benchmark_out_format=json >/dev/null 2>&1
if [[ -n ${BASELINE:-} ]]; then
  # The two builds' JIT train steps take turns, one repetition each per round (the first
  # to go alternates), so that the machine's drift during the run falls on both alike:
  # on a shared VM it moves a step by more than most changes do.
  for ((round = 1; round <= reps; ++round)); do
    sides=(jit baseline)
    ((round % 2)) || sides=(baseline jit)
    for side in "${sides[@]}"; do
      bin=$build/bench/kiln_bench
      [[ $side == baseline ]] && bin=$BASELINE/bench/kiln_bench
      KILN_THREADS=$threads "$bin" --benchmark_filter='^train_step/.*/jit' \
        --benchmark_out="$baseline_dir/$side.$round.json" --benchmark_out_format=json \
        >/dev/null 2>&1
    done
  done
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
  torch_lines+=$'\n'$(/usr/bin/python3 bench/pytorch_inference.py "$reference" "$seq_reference" \
                       --threads "$threads" --reps "$reps" 2>/dev/null || true)
fi

python3 - "$kiln_json" "$torch_lines" "$threads" "$baseline_dir" "$reps" <<'PY'
import glob, json, os, statistics, sys
def medians(path):
    """{(kind, model, backend): median in ms} of a kiln_bench JSON file."""
    ms = {}
    if not os.path.getsize(path):
        return ms
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        kind, model, backend = b["run_name"].split("/")[:3]
        ms[(kind, model, backend)] = b["real_time"] * scale[b["time_unit"]]
    return ms
def alternated(directory, side):
    """{model: median in ms} of one side's train steps over the rounds it took turns in."""
    times = {}
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    for path in glob.glob(os.path.join(directory, side + ".*.json")):
        for b in json.load(open(path))["benchmarks"]:
            model = b["run_name"].split("/")[1]
            times.setdefault(model, []).append(b["real_time"] * scale[b["time_unit"]])
    return {model: statistics.median(t) for model, t in times.items()}
kiln = json.load(open(sys.argv[1]))
ms = medians(sys.argv[1])
baseline, alternating = alternated(sys.argv[4], "baseline"), alternated(sys.argv[4], "jit")
torch, torch_eval, torch_predict = {}, {}, {}
for line in sys.argv[2].splitlines():
    try:
        row = json.loads(line)
    except ValueError:
        continue
    if "ms_per_step" in row:
        torch[row["model"]] = row["ms_per_step"]
    if "eval_images_per_s" in row:
        torch_eval[row["model"]] = row["eval_images_per_s"]
        torch_predict[row["model"]] = row["predict_1_us"] / 1e3
def cell(v, width=8, digits=2):
    return f"{v:{width}.{digits}f}" if v is not None else " " * (width - 1) + "-"
def ratio(a, b):
    return f"{a / b:7.2f}x" if a and b else "       -"
models = ("mlp", "cnn", "icnn", "lstm", "vit")
print(f"train step, batch 64, {sys.argv[3]} threads, medians (ms); {kiln['context']['host_name']}")
extra = f" {'jit, alt':>8} {'baseline':>8} {'base/jit':>8}" if baseline else ""
print(f"{'model':6} {'pytorch':>8} {'interp':>8} {'jit':>8} {'pt/jit':>8} {'interp/jit':>10}{extra}")
for model in models:
    p, i, j = torch.get(model), ms.get(("train_step", model, "interp")), ms.get(("train_step", model, "jit"))
    a, b = alternating.get(model), baseline.get(model)
    extra = f" {cell(a)} {cell(b)} {ratio(b, a)}" if baseline else ""
    print(f"{model:6} {cell(p)} {cell(i)} {cell(j)} {ratio(p, j)} {ratio(i, j):>10}{extra}")
if baseline:
    print(f"(jit, alt / baseline: this build and BASELINE taking turns, {sys.argv[5]} rounds)")
print()
print(f"inference, {sys.argv[3]} threads, medians: eval step at batch 1000 (images/s), "
      "predict at batch 1 (us)")
print(f"{'model':6} {'eval: pytorch':>13} {'interp':>8} {'jit':>8} {'jit/pt':>8}"
      f" {'predict: pytorch':>16} {'interp':>8} {'jit':>8} {'pt/jit':>8}")
def rate(t):  # images/s of a 1000-image step taking t ms
    return 1000 / (t / 1e3) if t else None
def us(t):
    return t * 1e3 if t else None
for model in models:
    ep, ei, ej = (torch_eval.get(model), rate(ms.get(("eval_1000", model, "interp"))),
                  rate(ms.get(("eval_1000", model, "jit"))))
    pp, pi, pj = (us(torch_predict.get(model)), us(ms.get(("predict_1", model, "interp"))),
                  us(ms.get(("predict_1", model, "jit"))))
    print(f"{model:6} {cell(ep, 13, 0)} {cell(ei, 8, 0)} {cell(ej, 8, 0)} {ratio(ej, ep)}"
          f" {cell(pp, 16, 1)} {cell(pi, 8, 1)} {cell(pj, 8, 1)} {ratio(pp, pj)}")
if not torch:
    print("(pytorch: not measured -- apt-get install python3-torch python3-torchvision)")
PY
