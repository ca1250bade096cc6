#!/usr/bin/env bash
# Runs a command inside a fresh network namespace that has loopback plus a veth pair with a
# default route. Headless Chromium needs a non-loopback interface for webrtc-direct.
# Exits 97 when a namespace cannot be made here (no privilege), so callers can fall back.
set -euo pipefail
if ! unshare -n true 2>/dev/null; then
  echo "with-netns: cannot create a network namespace here" >&2
  exit 97
fi
exec unshare -n bash -c '
  set -e
  ip link set lo up
  ip link add veth0 type veth peer name veth1
  ip addr add 10.200.0.1/24 dev veth0
  ip link set veth0 up
  ip link set veth1 up
  ip route add default dev veth0
  export MUSIG_NETNS=1 MUSIG_RELAY_HOST=${MUSIG_RELAY_HOST:-10.200.0.1}
  exec "$@"
' with-netns "$@"
