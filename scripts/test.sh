#!/usr/bin/env bash
# The README's test command: set-up, lints, and every test layer.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/setup.sh)"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120}

START=$(date +%s)
step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  printf '\n=== %s\n' "$name"
  "$@"
  printf '=== %s: ok (%ss)\n' "$name" "$(( $(date +%s) - t0 ))"
}
wasm_crates=(--workspace --exclude musig2-relay)

step "rustfmt" cargo fmt --all -- --check
step "clippy (native)" cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32)" cargo clippy --target wasm32-unknown-unknown "${wasm_crates[@]}" -- -D warnings
step "clippy (wasm32 tests)" cargo clippy --target wasm32-unknown-unknown -p musig2-p2p --tests -- -D warnings
step "native tests" cargo test --workspace
step "docs" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
# The fuzz targets (fuzz/, its own workspace) are built, not run, so they cannot rot; running
# them is scripts/fuzz-smoke.sh. A plain debug build on the stable toolchain (libfuzzer-sys
# compiles libFuzzer with the machine's C++ compiler; no sanitizer, no nightly flags), in the
# main target dir with the main workspace's dev profile for dependencies, so it reuses every
# dependency the native tests above built with the same features.
step "fuzz targets build" cargo build --manifest-path fuzz/Cargo.toml --bins --locked \
  --target-dir target --config 'profile.dev.package."*".opt-level=1'
step "npm package build" scripts/build-pkg.sh release
# The package's wasm-release profile shares the dependency build with the package build above.
step "wasm tests (Node and headless Chromium)" cargo test --profile wasm-release --target wasm32-unknown-unknown -p musig2-p2p
# The browser tests again in the other two engines (the runner picks the driver from the env).
step "wasm tests (headless Firefox)" env GECKODRIVER="$(command -v geckodriver)" \
  cargo test --profile wasm-release --target wasm32-unknown-unknown -p musig2-p2p --test wasm_browser
step "wasm tests (WebKitGTK under Xvfb)" env SAFARIDRIVER=/usr/bin/WebKitWebDriver xvfb-run -a \
  cargo test --profile wasm-release --target wasm32-unknown-unknown -p musig2-p2p --test wasm_browser
step "relay build" cargo build -p musig2-relay

run_e2e() {
  set +e
  scripts/with-netns.sh node --test --test-concurrency=1 tests/e2e/
  local rc=$?
  set -e
  if [ "$rc" -eq 97 ]; then
    echo "no network namespace available: running the e2e suite on the host (webrtc-direct cases report a skip)"
    node --test --test-concurrency=1 tests/e2e/
  else
    return "$rc"
  fi
}
step "end-to-end (relay process + Chromium, Firefox and WebKitGTK pages)" run_e2e

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - START ))"
