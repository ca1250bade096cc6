#!/usr/bin/env bash
# One idempotent set-up for this project on a fresh Debian machine.
# Installs: the wasm32 target, wasm-bindgen-cli (exactly the version in Cargo.lock),
# the three browser engines with their WebDriver servers (Chromium + ChromeDriver,
# Firefox ESR + geckodriver, WebKitGTK + WebKitWebDriver under Xvfb), and the Node
# packages from the committed lockfiles.
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

# 3. Browser engines and their WebDriver servers (Debian packages): Chromium + ChromeDriver,
#    Firefox ESR, WebKitGTK's WebKitWebDriver (+ MiniBrowser) and Xvfb for the WebKit display.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v ip >/dev/null || missing+=(iproute2)
# systemd-analyze checks the relay's unit file in the deploy-guide test.
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v firefox-esr >/dev/null || missing+=(firefox-esr)
command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null || missing+=(xvfb xauth)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 3b. geckodriver (Firefox's WebDriver server) from crates.io, into a versioned root.
GECKO_VERSION=0.37.1
GECKO_ROOT="$TOOLS_DIR/geckodriver-$GECKO_VERSION"
if [ ! -x "$GECKO_ROOT/bin/geckodriver" ]; then
  log "installing geckodriver $GECKO_VERSION into $GECKO_ROOT (about two minutes, once)"
  cargo install geckodriver --version "$GECKO_VERSION" --locked --root "$GECKO_ROOT"
fi

# 4. Node packages from the committed lockfiles: the e2e tests' and the package build's
#    (binaryen's wasm-opt, run by scripts/build-pkg.sh; no global tools).
for dir in tests/e2e scripts/pkg-tools; do
  if [ -f "$ROOT/$dir/package-lock.json" ]; then
    if [ ! -d "$ROOT/$dir/node_modules" ] || [ "$ROOT/$dir/package-lock.json" -nt "$ROOT/$dir/node_modules/.package-lock.json" ]; then
      log "npm ci in $dir"
      (cd "$ROOT/$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
done

# Print the PATH addition for callers that source this script's output.
echo "export PATH=\"$WB_ROOT/bin:$GECKO_ROOT/bin:\$PATH\"" >&3
