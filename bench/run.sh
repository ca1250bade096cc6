#!/usr/bin/env bash
# Builds everything the side-by-side benchmark needs, then runs it in one Node process:
#   - our npm package's wasm (scripts/build-pkg.sh release -> pkg/node),
#   - musig2-crypto alone in wasm (bench/crypto-only-wasm), with the package's opt-level "z"
#     and with opt-level 3,
#   - the crates.io musig2 crate, k256 backend, in wasm (bench/musig2-crate-wasm), as it ships
#     and with k256's precomputed tables,
# and the Node packages of bench/js (from its lockfile). Not part of the test command.
#
# Usage: bash bench/run.sh [--head | --rev COMMIT]
#   --head        benchmark the committed HEAD (a `git archive` snapshot built in a temporary
#                 folder) instead of the working tree, e.g. while the tree is mid-edit
#   --rev COMMIT  the same for another commit (the benchmark's own files stay those of the
#                 working tree)
# Environment: CARGO_TARGET_DIR (default: target/ of the tree built), BENCH_RUNS,
#   BENCH_RUN_MS, BENCH_WARMUP_MS (see bench/js/run.mjs), CARGO_BUILD_JOBS.
# Output: the Markdown tables on stdout, progress on stderr, all numbers in
#   bench/build/results.json.
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
SRC=$ROOT
log() { printf '[bench] %s\n' "$*" >&2; }

REV=""
case "${1:-}" in
  --head) REV=HEAD ;;
  --rev) REV=${2:?--rev needs a commit} ;;
  "") ;;
  *) echo "usage: bash bench/run.sh [--head | --rev COMMIT]" >&2; exit 2 ;;
esac
if [ -n "$REV" ]; then
  SRC=$(mktemp -d /tmp/musig2-bench-src.XXXXXX)
  trap 'rm -rf "$SRC"' EXIT
  log "snapshot of $REV ($(git -C "$ROOT" rev-parse --short "$REV")) in $SRC"
  git -C "$ROOT" archive "$REV" | tar -x -C "$SRC"
  # The benchmark's own files as they are in the working tree.
  rm -rf "$SRC/bench"
  mkdir -p "$SRC/bench"
  tar -C "$BENCH" --exclude=./build --exclude=./js/node_modules -c . | tar -x -C "$SRC/bench"
fi
if [ -n "$REV" ]; then
  export BENCH_SOURCE="commit $(git -C "$ROOT" rev-parse --short "$REV")"
else
  export BENCH_SOURCE="working tree at $(git -C "$ROOT" rev-parse --short HEAD)"
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$SRC/target}
OUT=$BENCH/build
mkdir -p "$OUT"

# Tools: the wasm32 target and wasm-bindgen-cli at the version pinned in Cargo.lock (the
# same places scripts/setup.sh uses).
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$SRC/Cargo.lock")
WB_ROOT="${MUSIG_TOOLS_DIR:-$HOME/.cache/musig2-p2p-tools}/wasm-bindgen-$WB_VERSION"
if [ ! -x "$WB_ROOT/bin/wasm-bindgen" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION into $WB_ROOT (several minutes, once)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --locked --root "$WB_ROOT"
fi
export PATH="$WB_ROOT/bin:$PATH"
WASM_DIR=$CARGO_TARGET_DIR/wasm32-unknown-unknown/release

# binaryen's wasm-opt for the package build, from scripts/pkg-tools' lockfile.
if [ ! -d "$SRC/scripts/pkg-tools/node_modules" ]; then
  log "npm ci in scripts/pkg-tools (wasm-opt)"
  (cd "$SRC/scripts/pkg-tools" && npm ci --no-audit --no-fund --loglevel=error)
fi

log "building musig2-p2p (pkg/node)"
(cd "$SRC" && scripts/build-pkg.sh release)

log "building musig2-crypto alone (bench/crypto-only-wasm)"
(cd "$SRC/bench/crypto-only-wasm" && cargo build --release --locked --target wasm32-unknown-unknown)
wasm-bindgen --target nodejs --out-dir "$OUT/crypto-only" "$WASM_DIR/musig2_crypto_wasm_bench.wasm"

log "building musig2-crypto alone with opt-level 3"
(cd "$SRC/bench/crypto-only-wasm" && CARGO_PROFILE_RELEASE_OPT_LEVEL=3 cargo build --release --locked --target wasm32-unknown-unknown)
wasm-bindgen --target nodejs --out-dir "$OUT/crypto-only-o3" "$WASM_DIR/musig2_crypto_wasm_bench.wasm"

log "building the musig2 crate, k256 as it ships (bench/musig2-crate-wasm)"
(cd "$SRC/bench/musig2-crate-wasm" && cargo build --release --locked --target wasm32-unknown-unknown)
wasm-bindgen --target nodejs --out-dir "$OUT/musig2-crate" "$WASM_DIR/musig2_crate_wasm.wasm"

log "building the musig2 crate with k256's precomputed tables"
(cd "$SRC/bench/musig2-crate-wasm" && cargo build --release --locked --target wasm32-unknown-unknown --features tables)
wasm-bindgen --target nodejs --out-dir "$OUT/musig2-crate-tables" "$WASM_DIR/musig2_crate_wasm.wasm"

if [ ! -d "$BENCH/js/node_modules" ] || [ "$BENCH/js/package-lock.json" -nt "$BENCH/js/node_modules/.package-lock.json" ]; then
  log "npm ci in bench/js"
  (cd "$BENCH/js" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Our package as built from $SRC, copied so that a concurrent rebuild of pkg/ cannot swap it.
rm -rf "$OUT/ours"
cp -r "$SRC/pkg/node" "$OUT/ours"

log "running the benchmark (about 5 minutes)"
BENCH_OURS="$OUT/ours/musig2_p2p.js" BENCH_JSON="$OUT/results.json" \
  node --expose-gc "$BENCH/js/run.mjs"
