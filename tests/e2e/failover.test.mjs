// Coordinator failover in real browsers (each engine): the coordinator page stops right after sending its
// round-2 share (and is then closed); the other pages deliver the signature by failover.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex } from './lib/harness.mjs';
import { ENGINES } from './lib/engines.mjs';

for (const engine of ENGINES) describe(engine, () => {
  const h = useHarness({ engine });

  test(`the coordinator ${engine} page stops after round 2 and a remaining page delivers by failover`, async () => {
    const pages = await h.openPeers(3, 'fo');
    try {
      const infos = [];
      for (const p of pages) infos.push(await p.evaluate((r) => window.peer.start([r]), h.relay.ws));
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
      // The backup (second in the election order) can only have aggregated by failing over
      // itself. The third page may or may not see its own failover: when the backup's timer
      // fires first, the signature can reach the third page before its timer does.
      const backup = signers.indexOf(sorted[1]);
      const sawFailover = [];
      for (const i of others) {
        const events = await pages[i].evaluate(() => window.peer.events);
        if (events.some((e) => e.type === 'failover' && e.sessionId === sessionId)) sawFailover.push(i);
      }
      assert.ok(sawFailover.includes(backup), `the backup page ${backup} saw the failover (pages that did: ${sawFailover})`);
      console.log(`# failover in ${engine}: signature after ${elapsed} ms (liveness timeout 6000 ms, coordinator deadline 10000 ms)`);
    } finally {
      for (const p of pages) if (!p.isClosed()) await p.close();
    }
  });
});
