#!/usr/bin/env bash
# Runs every shell block of docs/deploy.md, in order, against a built relay binary, in a
# private network namespace (so the documented fixed ports never collide with anything).
#   scripts/deploy-doc-test.sh <deploy.md> <musig2-relay binary> <empty work folder>
# Called by crates/musig2-relay/tests/deploy_doc.rs. Block tags (the word after ```sh):
#   test          run as written in one bash session (variables carry over); must succeed
#   test-daemon   start in the background; wait (20 s at most) until its stdout or stderr
#                 has "listening on", or the text of a `<!-- test-wait: TEXT -->` line just
#                 above the block
#   test-restart  SIGTERM the running daemon with the same --data-dir (must exit 0), then
#                 as test-daemon
#   test-root     /etc, /usr, /var rewritten under $ROOT; `systemctl` is a stub that logs
#                 its arguments and, at daemon-reload, runs `systemd-analyze verify` on the
#                 installed unit (any output fails); every key of an installed
#                 /etc/musig2-relay.env must be a variable `musig2-relay --help` lists
#   test-build    checked to be the release build of musig2-relay, not run: the given
#                 binary is copied to target/release/musig2-relay in its place
# A ```sh block without a tag fails the run, so no command escapes the test.
# Prints "=== daemon N" then each daemon's stdout when it is stopped. Exit 0 on success.
set -euo pipefail
if [ "${DEPLOY_DOC_NETNS:-}" != 1 ]; then
  if ! unshare -n true 2>/dev/null; then
    echo "deploy-doc-test: cannot create a network namespace (needs root or user namespaces)" >&2
    exit 97
  fi
  exec unshare -n env DEPLOY_DOC_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi

DOC=$(realpath "$1")
BIN=$(realpath "$2")
WORK=$(realpath "$3")
REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT="$WORK/root"
BLOCKS="$WORK/blocks"
mkdir -p "$BLOCKS" "$ROOT/stub" "$WORK/run/target/release" "$WORK/run/deploy"
cp "$REPO/deploy/musig2-relay.service" "$WORK/run/deploy/"

# 1. Split the document into numbered blocks: <n>.tag, <n>.sh, <n>.wait (optional).
awk -v dir="$BLOCKS" '
  /^<!-- test-wait: .* -->$/ { wait = $0; sub(/^<!-- test-wait: /, "", wait); sub(/ -->$/, "", wait); next }
  !inside && /^```sh/ {
    n++; inside = 1; tag = $2; if (tag == "") tag = "untagged"
    file = sprintf("%s/%02d", dir, n)
    print tag > (file ".tag"); close(file ".tag")
    if (wait != "") { print wait > (file ".wait"); close(file ".wait") }
    printf "" > (file ".sh")
    wait = ""; next
  }
  inside && /^```$/ { inside = 0; close(file ".sh"); next }
  inside { print >> (file ".sh"); next }
  /^[^<]/ { wait = "" }
' "$DOC"

# 2. The stubs and helpers the blocks run with.
cat > "$ROOT/stub/systemctl" <<EOF
#!/usr/bin/env bash
echo "systemctl \$*" >> "$ROOT/systemctl.log"
if [ "\$1" = daemon-reload ]; then
  unit="$ROOT/etc/systemd/system/musig2-relay.service"
  check="$WORK/verify"
  rm -rf "\$check"; mkdir -p "\$check"
  # The unit names the installed binary by its real path; point it into \$ROOT for verify.
  sed "s#^ExecStart=/usr/#ExecStart=$ROOT/usr/#" "\$unit" > "\$check/musig2-relay.service"
  [ -d "\$unit.d" ] && cp -r "\$unit.d" "\$check/"
  out=\$(systemd-analyze verify "\$check/musig2-relay.service" 2>&1) || { echo "\$out" >&2; exit 1; }
  if [ -n "\$out" ]; then echo "systemd-analyze verify: \$out" >&2; exit 1; fi
fi
EOF
chmod +x "$ROOT/stub/systemctl"
cp "$BIN" "$WORK/run/target/release/musig2-relay"
export PATH="$ROOT/stub:$WORK/run/target/release:$PATH"

DAEMONS=()
daemon_n=0
# A failed block leaves no relay behind.
cleanup() {
  local entry
  for entry in "${DAEMONS[@]}"; do
    kill -KILL "${entry%%:*}" 2>/dev/null && wait "${entry%%:*}" 2>/dev/null || true
  done
}
trap cleanup EXIT
wait_for() { # <stdout file> <stderr file> <text> <pid>
  local deadline=$((SECONDS + 20))
  until grep -qF -- "$3" "$1" "$2" 2>/dev/null; do
    if ! kill -0 "$4" 2>/dev/null; then
      echo "daemon exited before printing '$3':" >&2; cat "$1" "$2" >&2; return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "no '$3' within 20 s:" >&2; cat "$1" "$2" >&2; return 1
    fi
    sleep 0.05
  done
}
data_dir() { grep -oE -- '--data-dir [^ ]+' "$1" || echo "--data-dir .relay-state"; }
start_daemon() { # <block file> <wait text>
  daemon_n=$((daemon_n + 1))
  local out="$WORK/daemon-$daemon_n.out" err="$WORK/daemon-$daemon_n.log"
  (eval "exec $(cat "$1")") > "$out" 2> "$err" &
  DAEMONS+=("$!:$daemon_n:$(data_dir "$1")")
  wait_for "$out" "$err" "$2" "$!"
}
stop_daemon() { # <index in DAEMONS>
  local entry=${DAEMONS[$1]}
  DAEMONS=("${DAEMONS[@]:0:$1}" "${DAEMONS[@]:$(($1 + 1))}")
  local pid=${entry%%:*} rest=${entry#*:}
  local n=${rest%%:*} status=0
  kill -TERM "$pid"
  wait "$pid" || status=$?
  echo "=== daemon $n (exit $status)"
  cat "$WORK/daemon-$n.out"
  [ "$status" = 0 ] || { echo "daemon $n did not exit 0 on SIGTERM" >&2; cat "$WORK/daemon-$n.log" >&2; return 1; }
}
stop_daemon_of() { # <block file>: stops the daemon with the same --data-dir
  local dir i
  dir=$(data_dir "$1")
  for i in "${!DAEMONS[@]}"; do
    if [ "${DAEMONS[$i]#*:*:}" = "$dir" ]; then stop_daemon "$i"; return; fi
  done
  echo "no running daemon with $dir to restart" >&2
  return 1
}
check_env_file() {
  local env_file="$ROOT/etc/musig2-relay.env" help
  [ -f "$env_file" ] || return 0
  help=$(musig2-relay --help)
  grep -v '^\s*\(#\|$\)' "$env_file" | while IFS='=' read -r key _; do
    grep -qF "[env: $key=" <<<"$help" || { echo "$env_file: $key is not a relay variable" >&2; exit 1; }
  done
}

# 3. Run the blocks in order, from a folder laid out like the repository.
cd "$WORK/run"
for tag_file in "$BLOCKS"/*.tag; do
  block=${tag_file%.tag}
  tag=$(cat "$tag_file")
  wait_text="listening on"
  [ -f "$block.wait" ] && wait_text=$(cat "$block.wait")
  echo "--- block $(basename "$block") ($tag)"
  case "$tag" in
    test) source "$block.sh" ;;
    test-daemon) start_daemon "$block.sh" "$wait_text" ;;
    test-restart) stop_daemon_of "$block.sh"; start_daemon "$block.sh" "$wait_text" ;;
    test-root)
      sed -E "s#(^|[ =:'>])/(etc|usr|var)/#\\1$ROOT/\\2/#g" "$block.sh" > "$block.rooted"
      mkdir -p "$ROOT/etc/systemd/system" "$ROOT/usr/local/bin"
      source "$block.rooted"
      check_env_file ;;
    test-build)
      [ "$(cat "$block.sh")" = "cargo build --release -p musig2-relay" ] || {
        echo "the build block is not the release build of musig2-relay" >&2; exit 1; } ;;
    *) echo "block $(basename "$block"): a \`\`\`sh block needs a test tag, got '$tag'" >&2; exit 1 ;;
  esac
done
while [ ${#DAEMONS[@]} -gt 0 ]; do stop_daemon $((${#DAEMONS[@]} - 1)); done
echo "=== systemctl"
cat "$ROOT/systemctl.log"
echo "deploy-doc-test: all blocks passed"
