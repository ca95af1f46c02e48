#!/usr/bin/env bash
# The main job: installs what is missing, builds kiln, fetches MNIST and runs the
# tutorial's experiment (spec §9: mlp, cnn and icnn, Adam 1e-3, batch 64, 10 epochs) on
# the JIT. Every report lands in runs/mnist; extra arguments go to `kiln mnist`
# (e.g. `bash scripts/main.sh --epochs 1 --models mlp`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/fetch_mnist.sh data/mnist
./build/tools/kiln mnist --data data/mnist --out runs/mnist "$@"
