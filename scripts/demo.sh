#!/usr/bin/env bash
# The README's main command: set-up, build, then run the demo (local relay + demo wallet page).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/setup.sh)"
scripts/build-pkg.sh release
cargo build --release -p musig2-relay
TARGET_DIR=${CARGO_TARGET_DIR:-target}
MUSIG2_RELAY_BIN="$TARGET_DIR/release/musig2-relay" exec node scripts/demo.mjs
