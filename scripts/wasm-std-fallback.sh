#!/usr/bin/env bash
# Fallback when `rustup target add wasm32-unknown-unknown` is refused: Debian's rustc-web with
# a wasm32 std built once from its sources, linked as the toolchain `debian-web`.
# (Recipe: ../shared/guides/toolchain.md, section 1.)
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq rustc-web cargo-web rust-web-src rust-web-llvm lld-22 >/dev/null
LIBDIR=/usr/lib/rustlib/wasm32-unknown-unknown/lib
if ! ls "$LIBDIR"/libstd-*.rlib >/dev/null 2>&1; then
  WORK=$(mktemp -d)
  cp -r /usr/lib/rustlib/src/rust/library "$WORK/"
  RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc RUSTFLAGS=-Zforce-unstable-if-unmarked /usr/bin/cargo build \
    -Zavoid-dev-deps --offline --manifest-path "$WORK/library/sysroot/Cargo.toml" \
    --target wasm32-unknown-unknown --profile dist --features "panic-unwind backtrace" \
    --config "source.crates-io.replace-with='vendored'" \
    --config "source.vendored.directory='$WORK/library/vendor'"
  $SUDO mkdir -p "$LIBDIR"
  find "$WORK/library/target/wasm32-unknown-unknown/dist/deps" -name '*.rlib' ! -name 'libsysroot-*' \
    -exec $SUDO cp {} "$LIBDIR/" \;
  rm -rf "$WORK"
fi
rustup toolchain link debian-web /usr
echo "wasm32 std installed for the debian-web toolchain; use: rustup override set debian-web" >&2
