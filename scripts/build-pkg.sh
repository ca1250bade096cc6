#!/usr/bin/env bash
# Builds the npm package's wasm and JS glue into pkg/web (browsers) and pkg/node (Node.js).
# Usage: scripts/build-pkg.sh [release|dev]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-release}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
if [ "$PROFILE" = release ]; then
  cargo build --release --target wasm32-unknown-unknown -p musig2-p2p
  WASM="$TARGET_DIR/wasm32-unknown-unknown/release/musig2_p2p.wasm"
else
  cargo build --target wasm32-unknown-unknown -p musig2-p2p
  WASM="$TARGET_DIR/wasm32-unknown-unknown/debug/musig2_p2p.wasm"
fi
wasm-bindgen --target web --remove-name-section --remove-producers-section --out-dir pkg/web "$WASM"
wasm-bindgen --target nodejs --remove-name-section --remove-producers-section --out-dir pkg/node "$WASM"
ls -l pkg/web/musig2_p2p_bg.wasm >&2
