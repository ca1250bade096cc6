// A hostile page sprays garbage at three honest pages over the session protocol while they
// sign (in each engine); the honest session completes and the garbage is rejected (and its sender penalized).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex } from './lib/harness.mjs';
import { ENGINES } from './lib/engines.mjs';

for (const engine of ENGINES) describe(engine, () => {
  const h = useHarness({ engine });

  test(`a hostile ${engine} page sending garbage does not disturb an honest ${engine} session`, async () => {
    const pages = await h.openPeers(4, 'h');
    const [hostile, ...honest] = pages;
    try {
      const infos = [];
      for (const p of honest) infos.push(await p.evaluate((r) => window.peer.start([r]), h.relay.ws));
      const hostileInfo = await hostile.evaluate((r) => window.peer.start([r]), h.relay.ws);
      const targets = infos.map((i) => i.circuits[0]);
      // Garbage before the session starts ...
      const before = await hostile.evaluate(([t]) => window.peer.spray(t, 7), [targets]);
      const signers = infos.map((i) => i.publicKey);
      const message = '77'.repeat(32);
      const sessionId = await honest[0].evaluate(([s, msg]) => window.peer.create(s, msg), [signers, message]);
      // ... and during it.
      const [sigs, during] = await Promise.all([
        Promise.all(honest.map((p) => p.evaluate((id) => window.peer.signature(id), sessionId))),
        hostile.evaluate(([t]) => window.peer.spray(t, 14), [targets]),
      ]);
      assert.equal(new Set(sigs).size, 1);
      const ctx = new m.SigningContext('bip327', signers.map(unhex), null);
      assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the honest signature verifies');
      // Every honest page rejected garbage from the hostile peer, and only from it.
      await new Promise((r) => setTimeout(r, 500));
      for (const p of honest) {
        const rejected = await p.evaluate(() => window.peer.events.filter((e) => e.type === 'messageRejected'));
        assert.ok(rejected.length > 0, 'garbage was rejected');
        assert.ok(rejected.some((e) => e.from === hostileInfo.peerId), 'the hostile peer was rejected');
        // Garbage is rejected as undecodable (then, once its sender is graylisted or banned,
        // unread); no signer is blamed for it.
        const garbage = new Set(['malformed', 'graylisted', 'blacklisted']);
        for (const e of rejected.filter((r) => r.from === hostileInfo.peerId)) {
          assert.ok(garbage.has(e.code), `garbage rejected with code ${e.code} (${e.reason})`);
          assert.equal(e.signer, null);
        }
        // Honest peers may only see the rejections networks cause (duplicates and late or
        // early messages, penalized by 1), never those of forgery or garbage.
        const benign = new Set(['duplicate', 'outOfPhase', 'staleAttempt', 'unknownSession', 'premature', 'sessionExpired']);
        const honest = rejected.filter((e) => e.from !== hostileInfo.peerId);
        assert.deepEqual(honest.filter((e) => !benign.has(e.code)), [], 'honest peers are never rejected for garbage');
        const others = await p.evaluate(() => window.peer.events.filter((e) => e.type === 'failover' || e.type === 'aborted' || e.type === 'failed'));
        assert.deepEqual(others, [], 'no failover, abort or failure in the honest session');
      }
      console.log(`# ${engine}: hostile page sent ${before + during} garbage messages; honest 3-of-3 completed`);
    } finally {
      for (const p of pages) await p.close();
    }
  });
});
