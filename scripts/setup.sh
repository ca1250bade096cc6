#!/usr/bin/env bash
# One idempotent set-up for this project on a fresh Debian machine.
# Installs: the wasm32 target, wasm-bindgen-cli (exactly the version in Cargo.lock),
# Chromium + ChromeDriver, and the Node packages from the committed lockfile.
# A second run with nothing missing takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TOOLS_DIR=${MUSIG_TOOLS_DIR:-$HOME/.cache/musig2-p2p-tools}
# Everything but the final PATH line goes to stderr: callers `eval` this script's stdout.
exec 3>&1 1>&2
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. wasm32 target (with Debian's rustc-web fallback when rustup refuses).
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  if ! rustup target add wasm32-unknown-unknown; then
    log "rustup refused the target; using Debian's rustc-web fallback"
    bash "$ROOT/scripts/wasm-std-fallback.sh"
  fi
fi

# 2. wasm-bindgen-cli at exactly the version pinned in Cargo.lock.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")
WB_ROOT="$TOOLS_DIR/wasm-bindgen-$WB_VERSION"
if [ ! -x "$WB_ROOT/bin/wasm-bindgen" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION into $WB_ROOT (several minutes, once)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --locked --root "$WB_ROOT"
fi

# 3. Chromium and ChromeDriver (Debian packages).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium chromium-driver iproute2 >/dev/null
fi

# 4. Node packages from the committed lockfile.
if [ -f "$ROOT/tests/e2e/package-lock.json" ]; then
  if [ ! -d "$ROOT/tests/e2e/node_modules" ] || [ "$ROOT/tests/e2e/package-lock.json" -nt "$ROOT/tests/e2e/node_modules/.package-lock.json" ]; then
    log "npm ci in tests/e2e"
    (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# Print the PATH addition for callers that source this script's output.
echo "export PATH=\"$WB_ROOT/bin:\$PATH\"" >&3
