// Coordinator failover in real browsers: the coordinator page stops right after sending its
// round-2 share (and is then closed); the other pages deliver the signature by failover.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './lib/paths.mjs';
import { startRelay } from '../../scripts/lib/relay.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { launchChromium, openPage } from './lib/browser.mjs';

const m = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/musig2_p2p.js'));
const unhex = (s) => Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16));
const RELAY_HOST = process.env.MUSIG_RELAY_HOST || '127.0.0.1';

let relay, server, browser;
before(async () => {
  relay = await startRelay({ host: RELAY_HOST });
  server = await serveStatic(ROOT);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
  await relay?.stop();
});

test('the coordinator page stops after round 2 and a remaining page delivers by failover', async () => {
  const pages = [];
  for (let i = 0; i < 3; i++) pages.push(await openPage(browser, `${server.url}/tests/e2e/pages/peer.html`, `fo-${i}`));
  try {
    const infos = [];
    for (const p of pages) infos.push(await p.evaluate((r) => window.peer.start([r]), relay.ws));
    const signers = infos.map((i) => i.publicKey);
    // Lexicographic election: the smallest key coordinates, the next one is the backup.
    const sorted = [...signers].sort();
    const coordinator = signers.indexOf(sorted[0]);
    const others = [0, 1, 2].filter((i) => i !== coordinator);
    await pages[coordinator].evaluate(() => window.peer.stopAtPhase('partialSigCollection'));
    const message = 'c3'.repeat(32);
    const creator = others[0];
    const t0 = Date.now();
    const sessionId = await pages[creator].evaluate(([s, msg]) => window.peer.create(s, msg), [signers, message]);
    const sigs = await Promise.all(others.map((i) => pages[i].evaluate((id) => window.peer.signature(id), sessionId)));
    const elapsed = Date.now() - t0;
    await pages[coordinator].close();
    assert.equal(sigs[0], sigs[1], 'both remaining pages hold the same signature');
    const ctx = new m.SigningContext('bip327', signers.map(unhex), null);
    assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the failover signature verifies');
    for (const i of others) {
      const events = await pages[i].evaluate(() => window.peer.events);
      const failover = events.find((e) => e.type === 'failover' && e.sessionId === sessionId);
      assert.ok(failover, `page ${i} saw the failover`);
    }
    console.log(`# failover in Chromium: signature after ${elapsed} ms (liveness timeout 6000 ms, coordinator deadline 10000 ms)`);
  } finally {
    for (const p of pages) if (!p.isClosed()) await p.close();
  }
});
