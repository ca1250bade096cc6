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
 * Resolves to { peerId, addrs, ws, webrtc, stop() } once every listener is up.
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
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const result = await exited;
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      return result;
    },
  };
}
