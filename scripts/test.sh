#!/usr/bin/env bash
# Installs what is missing, builds kiln and runs every test (unit, golden IR, FileCheck,
# gradient checks, end-to-end). Tests needing MNIST fetch it first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/fetch_mnist.sh data/mnist
ctest --test-dir build --output-on-failure -j2
