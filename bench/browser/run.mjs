// Browser benchmark: create -> final signature on every page, for N pages in headless
// Chromium through a loopback relay process; plus the package's .wasm sizes.
// Usage (after scripts/build-pkg.sh release and cargo build -p musig2-relay):
//   node bench/browser/run.mjs [pages...]   (default: 3 10)
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRelay } from '../../scripts/lib/relay.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { launchChromium, openPage } from '../../tests/e2e/lib/browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SESSIONS = Number(process.env.SESSIONS || 20);
const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['3', '10']).map(Number);

function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// CPU time (user + system, ms) of the processes whose command name matches `re`, or of one pid.
const TICK_MS = 10; // USER_HZ is 100 on Linux
function cpuMs(match) {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (typeof match === 'number' ? Number(pid) !== match : !match.test(comm)) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(f[11]) + Number(f[12])) * TICK_MS;
  }
  return total;
}

const wasm = readFileSync(path.join(ROOT, 'pkg/web/musig2_p2p_bg.wasm'));
console.log(`wasm: ${wasm.length} B raw, ${gzipSync(wasm, { level: 9 }).length} B gzip, ${brotliCompressSync(wasm).length} B brotli`);

const relay = await startRelay({ host: '127.0.0.1' });
const server = await serveStatic(ROOT);
const browser = await launchChromium();
try {
  for (const n of sizes) {
    const pages = [];
    for (let i = 0; i < n; i++) pages.push(await openPage(browser, `${server.url}/tests/e2e/pages/peer.html`, `b${i}`));
    const infos = [];
    for (const p of pages) infos.push(await p.evaluate((r) => window.peer.start([r], 30000, 'bip327', true, false), relay.ws));
    const signers = infos.map((i) => i.publicKey);
    const times = [];
    let cpu0;
    for (let k = 0; k < SESSIONS + 2; k++) {
      if (k === 2) cpu0 = { browser: cpuMs(/^(chromium|chrome)/), relay: cpuMs(relay.child.pid) };
      const message = k.toString(16).padStart(2, '0').repeat(32);
      const t0 = performance.now();
      const id = await pages[0].evaluate(([s, m]) => window.peer.create(s, m), [signers, message]);
      await Promise.all(pages.map((p) => p.evaluate((i) => window.peer.signature(i), id)));
      const dt = performance.now() - t0;
      if (k >= 2) times.push(dt); // the first two warm up connections and JIT
    }
    console.log(`${n} pages: create -> signature on every page over ${times.length} sessions: p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms`);
    const perSession = (ms) => (ms / times.length).toFixed(0);
    console.log(`${n} pages: CPU per session (10 ms ticks): browser processes ${perSession(cpuMs(/^(chromium|chrome)/) - cpu0.browser)} ms, relay ${perSession(cpuMs(relay.child.pid) - cpu0.relay)} ms`);
    for (const p of pages) await p.close();
  }
} finally {
  await browser.close();
  await server.close();
  await relay.stop();
}
