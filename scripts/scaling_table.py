#!/usr/bin/env python3
"""The scaling table of docs/DATA_PARALLEL.md, on paper: for each zoo model, the gradient
bytes all-reduced per step (its trainable parameters, f32) and, for N ranks on links of a
given bandwidth, the ring all-reduce time 2(N-1)/N x bytes / bandwidth, the step time
(the single-process step time of one rank's batch, plus that time when nothing overlaps
it) and the scaling efficiency (single-process step / data-parallel step, at the same
per-rank batch).

    python3 scripts/scaling_table.py KILN STEP_MS...   e.g. build/tools/kiln mlp=0.51 cnn=12.51

Parameter counts and all_reduce nodes come from the kiln binary (`kiln models MODEL`,
`kiln ir MODEL --stage train --world-size 2`); the step times are what the user measured.
"""
import re
import subprocess
import sys

RANKS = [2, 4, 8, 16, 32, 64]
GBITS = [10, 25, 100]


def kiln_figures(kiln, model):
    summary = subprocess.run([kiln, "models", model], check=True, capture_output=True,
                             text=True).stdout
    trainable = int(re.search(r"^parameters: (\d+) trainable", summary, re.M).group(1))
    step = subprocess.run([kiln, "ir", model, "--stage", "train", "--world-size", "2"],
                          check=True, capture_output=True, text=True).stdout
    return trainable, step.count("= all_reduce")


def ring_ms(bytes_, ranks, gbits):
    return 2 * (ranks - 1) / ranks * bytes_ / (gbits * 1e9 / 8) * 1e3


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    kiln = sys.argv[1]
    steps = [arg.split("=") for arg in sys.argv[2:]]
    print("| model | parameters (tensors) | gradient bytes per step | single-process step, ms |")
    print("|---|---:|---:|---:|")
    figures = {}
    for model, ms in steps:
        params, tensors = kiln_figures(kiln, model)
        figures[model] = (params * 4, float(ms))
        print(f"| {model} | {params:,} ({tensors}) | {params * 4 / 1e6:.2f} MB | {float(ms):.2f} |")
    print()
    header = " | ".join(f"N={n}" for n in RANKS)
    print(f"| model | link | {header} |")
    print("|---|---|" + "---:|" * len(RANKS))
    for model, _ in steps:
        bytes_, step = figures[model]
        for gbits in GBITS:
            cells = []
            for n in RANKS:
                comm = ring_ms(bytes_, n, gbits)
                cells.append(f"{comm:.2f} / {step + comm:.2f} / {100 * step / (step + comm):.0f}%")
            print(f"| {model} | {gbits} Gb/s | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
