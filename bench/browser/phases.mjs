// Where the create -> signature time goes: per-phase milestones on every page, for N pages
// in headless Chromium through a loopback relay (same set-up as run.mjs).
// Usage (after scripts/build-pkg.sh release and cargo build -p musig2-relay):
//   node bench/browser/phases.mjs [pages]   (default: 10)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRelay } from '../../scripts/lib/relay.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { launchChromium, openPage } from '../../tests/e2e/lib/browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SESSIONS = Number(process.env.SESSIONS || 10);
const n = Number(process.argv[2] || 10);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
// Milestones in protocol order: phase codes of docs/protocol.md §5.1.
const MILESTONES = [
  ['discovered', (e) => e.type === 'sessionDiscovered'],
  ['joining', (e) => e.type === 'phaseChanged' && e.phase === 'joining'],
  ['nonces', (e) => e.type === 'phaseChanged' && e.phase === 'nonceCollection'],
  ['partialSigs', (e) => e.type === 'phaseChanged' && e.phase === 'partialSigCollection'],
  ['aggregation', (e) => e.type === 'phaseChanged' && e.phase === 'aggregation'],
  ['signature', (e) => e.type === 'signatureReady'],
];

const relay = await startRelay({ host: '127.0.0.1' });
const server = await serveStatic(ROOT);
const browser = await launchChromium();
try {
  const pages = [];
  for (let i = 0; i < n; i++) pages.push(await openPage(browser, `${server.url}/tests/e2e/pages/peer.html`, `b${i}`));
  const infos = [];
  for (const p of pages) infos.push(await p.evaluate((r) => window.peer.start([r], 30000, 'bip327', true, false), relay.ws));
  const signers = infos.map((i) => i.publicKey);
  const at = Object.fromEntries(MILESTONES.map(([name]) => [name, []]));
  for (let k = 0; k < SESSIONS + 2; k++) {
    const message = (k + 100).toString(16).padStart(2, '0').repeat(32);
    const t0 = performance.timeOrigin + performance.now();
    const id = await pages[0].evaluate(([s, m]) => window.peer.create(s, m), [signers, message]);
    await Promise.all(pages.map((p) => p.evaluate((i) => window.peer.signature(i), id)));
    if (k < 2) continue;
    for (const p of pages) {
      const events = await p.evaluate((i) => window.peer.events
        .filter((e) => e.sessionId === i)
        .map((e) => ({ ...e, t: performance.timeOrigin + e.t })), id);
      for (const [name, test] of MILESTONES) {
        const e = events.find(test);
        if (e) at[name].push(e.t - t0);
      }
    }
  }
  console.log(`${n} pages, ${SESSIONS} sessions: median time from createSession() to each milestone (all pages)`);
  for (const [name] of MILESTONES) {
    if (at[name].length) console.log(`  ${name.padEnd(12)} ${median(at[name]).toFixed(1)} ms  (max ${Math.max(...at[name]).toFixed(1)} ms, ${at[name].length} samples)`);
  }
} finally {
  await browser.close();
  await server.close();
  await relay.stop();
}
