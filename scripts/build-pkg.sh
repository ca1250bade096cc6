#!/usr/bin/env bash
# Builds the npm package's wasm and JS glue into pkg/web (browsers), pkg/bundler (bundlers:
# esbuild, Vite, webpack) and pkg/node (Node.js). Release builds are shrunk with binaryen's
# wasm-opt (installed by scripts/setup.sh into scripts/pkg-tools; see docs/benchmarks.md).
# Usage: scripts/build-pkg.sh [release|dev]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-release}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
WASM_OPT=scripts/pkg-tools/node_modules/binaryen/bin/wasm-opt
if [ "$PROFILE" = release ]; then
  if [ ! -f "$WASM_OPT" ]; then
    echo "wasm-opt missing: run scripts/setup.sh first" >&2
    exit 1
  fi
  cargo build --profile wasm-release --target wasm32-unknown-unknown -p musig2-p2p
  WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/musig2_p2p.wasm"
else
  cargo build --target wasm32-unknown-unknown -p musig2-p2p
  WASM="$TARGET_DIR/wasm32-unknown-unknown/debug/musig2_p2p.wasm"
fi
for target in web bundler node; do
  out="pkg/$target"
  [ "$target" = node ] && bindgen_target=nodejs || bindgen_target=$target
  wasm-bindgen --target "$bindgen_target" --remove-name-section --remove-producers-section --out-dir "$out" "$WASM"
done
if [ "$PROFILE" = release ]; then
  # -Oz with inlining off: plain -Oz shrinks the raw file but grows it by ~44 KB gzipped
  # (inlined copies compress worse); this is the smallest compressed result we measured.
  # The three targets get the same wasm module (only the JS glue differs): optimize once.
  raw=$(mktemp)
  cp pkg/web/musig2_p2p_bg.wasm "$raw"
  node "$WASM_OPT" -Oz -aimfs 0 -ocimfs 0 -fimfs 0 "$raw" -o pkg/web/musig2_p2p_bg.wasm
  for target in bundler node; do
    if ! cmp -s "$raw" "pkg/$target/musig2_p2p_bg.wasm"; then
      echo "pkg/$target has another wasm module than pkg/web" >&2
      exit 1
    fi
    cp pkg/web/musig2_p2p_bg.wasm "pkg/$target/musig2_p2p_bg.wasm"
  done
  rm -f "$raw"
fi
node scripts/wasm-size.mjs pkg/web/musig2_p2p_bg.wasm >&2
