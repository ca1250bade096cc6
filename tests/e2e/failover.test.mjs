// Coordinator failover in real browsers (each engine): the coordinator page stops right after
// sending its round-2 share, either closing its connections (as a closed tab) or freezing
// with them open (as a hung tab or a frozen process); the other pages get the signature by
// failover and complete. Prints the failover times (issue 15: ≤ 1 s closed, ≤ 3 s frozen).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex } from './lib/harness.mjs';
import { ENGINES } from './lib/engines.mjs';

/** Runs a 3-of-3 session whose coordinator goes away after round 2; returns the ms from its
 *  round-2 share until every other page held the signature. */
async function coordinatorGoesAway(h, label, freeze) {
  const pages = await h.openPeers(3, label);
  try {
    const infos = [];
    for (const p of pages) infos.push(await p.evaluate((r) => window.peer.start([r]), h.relay.ws));
    const signers = infos.map((i) => i.publicKey);
    // Lexicographic election: the smallest key coordinates, the next one is the backup.
    const sorted = [...signers].sort();
    const coordinator = signers.indexOf(sorted[0]);
    const others = [0, 1, 2].filter((i) => i !== coordinator);
    await pages[coordinator].evaluate((f) => window.peer.stopAtPhase('partialSigCollection', f), freeze);
    const message = 'c3'.repeat(32);
    const sessionId = await pages[others[0]].evaluate(([s, msg]) => window.peer.create(s, msg), [signers, message]);
    const sigs = await Promise.all(others.map((i) => pages[i].evaluate((id) => window.peer.signature(id), sessionId)));
    assert.equal(sigs[0], sigs[1], 'both remaining pages hold the same signature');
    const ctx = new m.SigningContext('bip327', signers.map(unhex), null);
    assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the failover signature verifies');
    // Every survivor completes without the gone coordinator's confirmation.
    await Promise.all(others.map((i) => pages[i].waitForFunction(
      (id) => window.peer.events.some((e) => e.type === 'completed' && e.sessionId === id), sessionId, { timeout: 30000 })));
    const events = await Promise.all(pages.map((p) => p.evaluate(() => window.peer.events)));
    const of = (i, type) => events[i].filter((e) => e.type === type && e.sessionId === sessionId);
    // The coordinator's round-2 share left it when it entered partialSigCollection.
    const gone = of(coordinator, 'phaseChanged').find((e) => e.phase === 'partialSigCollection');
    assert.ok(gone, 'the coordinator reached round 2');
    assert.equal(of(coordinator, 'signatureReady').length, 0, 'the coordinator never aggregated');
    // The backup (second in the election order) takes the broadcast duty, nobody else.
    const backup = signers.indexOf(sorted[1]);
    const duty = others.filter((i) => of(i, 'signatureReady').some((e) => e.broadcastDuty) || of(i, 'broadcastDuty').length > 0);
    assert.deepEqual(duty, [backup], 'the backup broadcasts');
    // Page clocks are the same machine's clock: the times compare across pages.
    const signedAt = others.map((i) => of(i, 'signatureReady')[0].at);
    return Math.max(...signedAt) - gone.at;
  } finally {
    for (const p of pages) if (!p.isClosed()) await p.close();
  }
}

for (const engine of ENGINES) describe(engine, () => {
  const h = useHarness({ engine });

  test(`the coordinator ${engine} page closes its connections after round 2: the others fail over and complete`, async () => {
    const ms = await coordinatorGoesAway(h, 'fo-closed', false);
    console.log(`# failover in ${engine}, coordinator's connections closed: every survivor signed ${ms} ms after its round-2 share`);
  });

  test(`the coordinator ${engine} page freezes after round 2, connections open: the others fail over on its silence and complete`, async () => {
    const ms = await coordinatorGoesAway(h, 'fo-frozen', true);
    // Only the liveness timeout (2.5 s of silence) can tell a frozen page: earlier would mean
    // a closed connection, which this case must not have.
    assert.ok(ms >= 1500, `failed over after ${ms} ms, before the frozen coordinator could count as silent`);
    console.log(`# failover in ${engine}, coordinator frozen with its connections open: every survivor signed ${ms} ms after its round-2 share`);
  });
});
