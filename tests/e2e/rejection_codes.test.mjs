// `messageRejected` events carry a stable `code` and the blamed `signer`: a hostile page sends
// a correctly signed message with a skewed clock ("clockSkew", not penalised), a message with
// a forged signature ("invalidSignature", penalised) and garbage ("malformed") to three honest
// pages while they sign; each rejection names the hostile peer, no signer is blamed for them,
// and the honest session completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex } from './lib/harness.mjs';

const h = useHarness();

/** The messageRejected events page `p` recorded from `peerId`. */
const rejectionsFrom = (p, peerId) => p.evaluate(
  (id) => window.peer.events.filter((e) => e.type === 'messageRejected' && e.from === id),
  peerId,
);

/** Waits until every page in `pages` recorded a rejection from `peerId` with `code`. */
async function waitForCode(pages, peerId, code) {
  for (const p of pages) {
    await p.waitForFunction(
      ([id, c]) => window.peer.events.some((e) => e.type === 'messageRejected' && e.from === id && e.code === c),
      [peerId, code],
      { timeout: 15000 },
    );
  }
}

test('rejections carry their code and blame: clock skew, forged signature, garbage; the honest session completes', async () => {
  const pages = await h.openPeers(4, 'codes');
  const [hostile, ...honest] = pages;
  try {
    const infos = [];
    for (const p of honest) infos.push(await p.evaluate((r) => window.peer.start([r]), h.relay.ws));
    // stickyKey: the hostile page signs its envelopes with its own wallet key (the one its
    // peer ID derives from), so they are not refused as forwarded.
    const hostileInfo = await hostile.evaluate((r) => window.peer.start([r], 15000, 'bip327', false, true), h.relay.ws);
    const targets = infos.map((i) => i.circuits[0]);
    const signers = infos.map((i) => i.publicKey);
    const message = '5a'.repeat(32);
    const sessionId = await honest[0].evaluate(([s, msg]) => window.peer.create(s, msg), [signers, message]);
    const signatures = Promise.all(honest.map((p) => p.evaluate((id) => window.peer.signature(id), sessionId)));

    // 1. Correctly signed, but its clock is 10 minutes behind (the allowed skew is 30 s).
    await hostile.evaluate((t) => window.peer.signedJoin(t, { skewMs: -600_000 }), targets);
    await waitForCode(honest, hostileInfo.peerId, 'clockSkew');
    for (const p of honest) {
      const rep = await p.evaluate((id) => window.peer.reputation(id), hostileInfo.peerId);
      assert.deepEqual(rep, { score: 0, standing: 'good' }, 'clock skew is not penalised');
    }
    // 2. A forged signature.
    await hostile.evaluate((t) => window.peer.signedJoin(t, { forge: true }), targets);
    await waitForCode(honest, hostileInfo.peerId, 'invalidSignature');
    for (const p of honest) {
      const rep = await p.evaluate((id) => window.peer.reputation(id), hostileInfo.peerId);
      assert.ok(rep.score < 0, `a forged signature is penalised (score ${rep.score})`);
    }
    // 3. Garbage (lengths 1 and 7: undecodable envelopes).
    await hostile.evaluate((t) => window.peer.spray(t, 3), targets);
    await waitForCode(honest, hostileInfo.peerId, 'malformed');

    const sigs = await signatures;
    assert.equal(new Set(sigs).size, 1);
    const ctx = new m.SigningContext('bip327', signers.map(unhex), null);
    assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the honest signature verifies');

    const allowed = new Set(['clockSkew', 'invalidSignature', 'malformed', 'graylisted']);
    const benign = new Set(['duplicate', 'outOfPhase', 'staleAttempt', 'unknownSession', 'premature', 'sessionExpired']);
    for (const p of honest) {
      const fromHostile = await rejectionsFrom(p, hostileInfo.peerId);
      for (const e of fromHostile) {
        assert.ok(allowed.has(e.code), `unexpected code ${e.code} (${e.reason})`);
        assert.equal(e.signer, null, 'no signer is blamed for an envelope-level rejection');
        assert.equal(typeof e.reason, 'string');
      }
      const fromHonest = await p.evaluate(
        (id) => window.peer.events.filter((e) => e.type === 'messageRejected' && e.from !== id),
        hostileInfo.peerId,
      );
      assert.deepEqual(fromHonest.filter((e) => !benign.has(e.code)), [], 'honest peers are only rejected for what networks cause');
      const others = await p.evaluate(() => window.peer.events.filter((e) => e.type === 'failover' || e.type === 'aborted' || e.type === 'failed'));
      assert.deepEqual(others, [], 'no failover, abort or failure in the honest session');
    }
  } finally {
    for (const p of pages) await p.close();
  }
});
