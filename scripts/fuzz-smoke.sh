#!/usr/bin/env bash
# Fuzz smoke test: builds every libFuzzer target in fuzz/ and runs each one briefly.
# Usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET] [TARGET...]
#   (default: 15 seconds each, every target; FUZZ_SECONDS also sets the time)
# Installs cargo-fuzz (pinned) once into $MUSIG_TOOLS_DIR (default ~/.cache/musig2-p2p-tools).
# Runs on the stable toolchain: RUSTC_BOOTSTRAP=1 unlocks the -Z flags cargo-fuzz passes
# (-Zsanitizer=address and sanitizer coverage). Every committed crash input under
# fuzz/regressions/<target>/ and every seed under fuzz/seeds/<target>/ is replayed first.
# Exits non-zero if any target fails to build, crashes, leaks, times out or runs out of memory.
# Crash inputs land in fuzz/artifacts/<target>/; reproduce with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -O --codegen-units 16 -s none <target> fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TOOLS_DIR=${MUSIG_TOOLS_DIR:-$HOME/.cache/musig2-p2p-tools}
CARGO_FUZZ_VERSION=0.13.2
SECONDS_PER_TARGET=${1:-${FUZZ_SECONDS:-15}}
[ $# -gt 0 ] && shift
log() { printf '[fuzz-smoke] %s\n' "$*" >&2; }

# 1. cargo-fuzz, at a pinned version, in a versioned folder (skipped when present).
CF_ROOT="$TOOLS_DIR/cargo-fuzz-$CARGO_FUZZ_VERSION"
if [ ! -x "$CF_ROOT/bin/cargo-fuzz" ]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $CF_ROOT (a few minutes, once)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$CF_ROOT"
fi
export PATH="$CF_ROOT/bin:$PATH"

# 2. Build flags. The fuzz crate has its own workspace and target dir (fuzz/target, or
# $FUZZ_TARGET_DIR).
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
# Release; debug assertions and overflow checks come from fuzz/Cargo.toml's profile (on for
# this project's code). No sanitizer by default: every crate under test forbids `unsafe`, and
# AddressSanitizer halves the speed for nothing to find (FUZZ_SANITIZER=address turns it on).
# 16 codegen units keep the cold build of the libp2p dependency tree within minutes.
FLAGS=(-O --codegen-units 16 --sanitizer "${FUZZ_SANITIZER:-none}"
  --target-dir "${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}")

if [ $# -gt 0 ]; then
  TARGETS=("$@")
else
  mapfile -t TARGETS < <(cargo fuzz list --fuzz-dir "$ROOT/fuzz")
fi

START=$(date +%s)
log "building ${#TARGETS[@]} targets"
cargo fuzz build "${FLAGS[@]}" --fuzz-dir "$ROOT/fuzz"
log "built in $(( $(date +%s) - START ))s"

# 3. Run each target: replay the committed inputs, then fuzz for a bounded time.
failed=()
summary=()
for t in "${TARGETS[@]}"; do
  corpus="$ROOT/fuzz/corpus/$t"
  mkdir -p "$corpus" "$ROOT/fuzz/artifacts/$t"
  inputs=()
  for d in "$ROOT/fuzz/seeds/$t" "$ROOT/fuzz/regressions/$t"; do
    [ -d "$d" ] && [ -n "$(ls -A "$d")" ] && inputs+=("$d")
  done
  out="$ROOT/fuzz/artifacts/$t/smoke.log"
  t0=$(date +%s)
  set +e
  # A fresh corpus dir first (new inputs are written there), then the read-only seed dirs.
  cargo fuzz run "${FLAGS[@]}" --fuzz-dir "$ROOT/fuzz" "$t" "$corpus" "${inputs[@]}" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2048 -max_len=4096 -len_control=0 \
    -print_final_stats=1 >"$out" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out" | grep -oE '[0-9]+$' | tail -1)
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$out" | grep -oE '[0-9]+$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$out" | tail -1)
  line="$t: rc=$rc, ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-cov: ?}, $(( $(date +%s) - t0 ))s"
  summary+=("$line")
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    log "FAILED $line"
    grep -E 'panicked at|ERROR: |SUMMARY: |Test unit written to' "$out" | head -20 >&2 || true
    log "full log: $out"
  else
    log "$line"
  fi
done

printf '\nfuzz smoke summary (%ss per target, total %ss):\n' "$SECONDS_PER_TARGET" "$(( $(date +%s) - START ))"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'failing targets: %s\n' "${failed[*]}"
  exit 1
fi
printf '%s passed, 0 failed\n' "${#TARGETS[@]}"
