// Starts the relay binary as a separate process and reads the addresses it prints.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RELAY_BIN } from './paths.mjs';

/**
 * Starts a relay listening on free ports of `host` (ws, tcp and webrtc-direct).
 * Resolves to { peerId, addrs, ws, webrtc, stop() } once every listener is up.
 */
export async function startRelay({ host = '127.0.0.1', dataDir, extraArgs = [], timeoutMs = 20000 } = {}) {
  const ownDir = !dataDir;
  const dir = dataDir || mkdtempSync(path.join(tmpdir(), 'musig2-relay-'));
  const listen = [`/ip4/${host}/tcp/0`, `/ip4/${host}/tcp/0/ws`, `/ip4/${host}/udp/0/webrtc-direct`];
  const child = spawn(RELAY_BIN, ['--data-dir', dir, '--listen', listen.join(','), ...extraArgs], {
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
