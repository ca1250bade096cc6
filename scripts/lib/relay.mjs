// Starts the relay binary as a separate process and reads the addresses it prints.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET_DIR = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
/** The relay binary: $MUSIG2_RELAY_BIN, or the debug build in the cargo target folder. */
export const RELAY_BIN = process.env.MUSIG2_RELAY_BIN || path.join(TARGET_DIR, 'debug', 'musig2-relay');

/**
 * Starts a relay listening on `host` (tcp, ws and webrtc-direct; port 0 = a free port).
 * Resolves to { peerId, addrs, ws, webrtc, tcp, metrics, stop() } once every listener is up;
 * `metrics` is the URL of the Prometheus endpoint when `extraArgs` has `--metrics-addr`
 * (else null), and `scrape(name)` reads one of its unlabelled samples.
 */
export async function startRelay({ host = '127.0.0.1', ports = [0, 0, 0], dataDir, extraArgs = [], timeoutMs = 20000, bin = RELAY_BIN } = {}) {
  const ownDir = !dataDir;
  const dir = dataDir || mkdtempSync(path.join(tmpdir(), 'musig2-relay-'));
  const [tcp, ws, rtc] = ports;
  const listen = [`/ip4/${host}/tcp/${tcp}`, `/ip4/${host}/tcp/${ws}/ws`, `/ip4/${host}/udp/${rtc}/webrtc-direct`];
  const child = spawn(bin, ['--data-dir', dir, '--listen', listen.join(','), ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RELAY_LOG || 'warn' },
  });
  const addrs = [];
  let peerId = null;
  let metrics = null;
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay not ready in ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line.startsWith('peer id: ')) peerId = line.slice(9);
        if (line.startsWith('metrics on ')) metrics = line.slice(11);
        if (line.startsWith('listening on ')) addrs.push(line.slice(13));
        if (addrs.length === listen.length) { clearTimeout(timer); resolve(); }
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`relay exited with ${code}; stderr:\n${stderr}`)); });
  });
  await ready;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    peerId,
    addrs,
    child,
    ws: addrs.find((a) => a.includes('/ws/')),
    webrtc: addrs.find((a) => a.includes('/webrtc-direct/')),
    tcp: addrs.find((a) => a.includes('/tcp/') && !a.includes('/ws/')),
    metrics,
    stderr: () => stderr,
    /** The value of the metric `name` (a sample without labels), or null when absent. */
    async scrape(name) {
      if (!metrics) throw new Error('the relay was started without --metrics-addr');
      const text = await (await fetch(metrics)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.slice(name.length + 1)) : null;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const result = await exited;
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      return result;
    },
  };
}

/** `relay`'s TCP multiaddr, ending in its `/p2p/<peer id>` (what `--peer` takes). */
export function peerAddress(relay) {
  if (!relay.tcp) throw new Error(`relay ${relay.peerId} has no TCP listener: ${relay.addrs.join(', ')}`);
  return relay.tcp.endsWith(`/p2p/${relay.peerId}`) ? relay.tcp : `${relay.tcp}/p2p/${relay.peerId}`;
}

/**
 * Starts `n` relays in a chain: relay i > 0 is given only relay i - 1 with `--peer`, so they
 * form one federation (Kademlia DHT and GossipSub mesh) through their neighbours. With more
 * than one relay each serves metrics (for `waitForPeering`). A relay that fails to start
 * stops the ones already running.
 */
export async function startRelayChain(n, { host, extraArgs = [], bin } = {}) {
  const relays = [];
  const metrics = n > 1 ? ['--metrics-addr', '127.0.0.1:0'] : [];
  try {
    for (let i = 0; i < n; i++) {
      const peer = i > 0 ? ['--peer', peerAddress(relays[i - 1])] : [];
      relays.push(await startRelay({ host, bin, extraArgs: [...extraArgs, ...metrics, ...peer] }));
    }
  } catch (e) {
    await Promise.all(relays.map((r) => r.stop()));
    throw e;
  }
  return relays;
}

/**
 * Resolves once every relay of a chain (`startRelayChain`, before any wallet connects) is
 * connected to its neighbours: at least one peer at the ends, two in the middle (relays may
 * also find the others through the DHT). Rejects after `timeoutMs` with each relay's count.
 */
export async function waitForPeering(relays, timeoutMs = 10000) {
  if (relays.length < 2) return;
  const want = relays.map((_, i) => (i > 0) + (i < relays.length - 1));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const have = await Promise.all(relays.map((r) => r.scrape('musig2_relay_connected_peers')));
    if (have.every((c, i) => (c ?? 0) >= want[i])) return;
    if (Date.now() > deadline) {
      throw new Error(`relays not peered after ${timeoutMs} ms: connected peers ${JSON.stringify(have)}, wanted at least ${JSON.stringify(want)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
