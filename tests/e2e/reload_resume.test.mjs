// A page reloaded mid-session (right after it joined) resumes the session from
// IndexedDB and the session completes (in each engine), with fresh nonces: no secret nonce survives a reload.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex } from './lib/harness.mjs';
import { ENGINES } from './lib/engines.mjs';

for (const engine of ENGINES) describe(engine, () => {
  const h = useHarness({ engine });

  test(`a ${engine} page reloaded mid-session resumes from IndexedDB and the session completes without nonce reuse`, async () => {
    const pages = await h.openPeers(3, 'rl');
    try {
      const infos = [];
      // Page 1 joins by hand, after the reload: until then the session cannot finish, so the
      // reload always lands mid-session (3 pages sign in ~40 ms, faster than a navigation).
      for (const [i, p] of pages.entries()) infos.push(await p.evaluate(([r, auto]) => window.peer.start([r], 15000, 'bip327', auto, true), [h.relay.ws, i !== 1]));
      const signers = infos.map((i) => i.publicKey);
      const reloaded = pages[2];
      const navigated = await reloaded.expectReload();
      await reloaded.evaluate(() => window.peer.reloadAtPhase('joining'));
      const message = 'a1'.repeat(32);
      const sessionId = await pages[0].evaluate(([s, msg]) => window.peer.create(s, msg), [signers, message]);
      await navigated.wait();
      await reloaded.waitForFunction(() => window.peerReady === true, null, { timeout: 60000 });
      // Same wallet key (the page's key store), new page: start() resumes from IndexedDB.
      const again = await reloaded.evaluate((r) => window.peer.start([r], 15000, 'bip327', true, true), h.relay.ws);
      assert.equal(again.publicKey, infos[2].publicKey, 'the reloaded page is the same signer');
      await pages[1].waitForFunction((id) => window.peer.events.some((e) => e.type === 'sessionDiscovered' && e.sessionId === id), sessionId);
      await pages[1].evaluate((id) => window.peer.join(id), sessionId);
      const sigs = await Promise.all(pages.map((p) => p.evaluate((id) => window.peer.signature(id), sessionId)));
      assert.equal(new Set(sigs).size, 1, 'all three pages hold the same signature');
      const ctx = new m.SigningContext('bip327', signers.map(unhex), null);
      assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the signature verifies');
      // The reloaded page had sent its nonce (nonces go out on joining) but could not sign
      // before page 1 joined: its secret nonce is gone, so the session moves to a new attempt
      // with fresh nonces for everyone. The reloaded page resumed from IndexedDB and got the
      // signature, and no secret nonce was ever persisted.
      const attempts = await pages[0].evaluate(() => window.peer.events.filter((e) => e.type === 'newAttempt').length);
      const resumedEvents = await reloaded.evaluate((id) => window.peer.events.filter((e) => e.sessionId === id).length, sessionId);
      console.log(`# ${engine} reload mid-session: ${attempts} new attempt(s) seen by the creator`);
      assert.ok(attempts >= 1, 'the lost secret nonce was replaced by a new attempt');
      assert.ok(resumedEvents > 0, 'the reloaded page resumed the session (it reports its events)');
      // IndexedDB in this engine: the creator's record of the finished session (with its
      // signature) is written, and survives a reload of that page too.
      const creator = pages[0];
      const recordOf = (stored) => stored.find((r) => r.key === `${infos[0].publicKey}:${sessionId}`);
      const deadline = Date.now() + 10000;
      let record;
      // The record is rewritten as the session moves on: wait for the final one (ended, signed).
      while (!((record = recordOf(await creator.evaluate(() => window.peer.stored())))?.signature && record.terminal) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(record?.signature, sigs[0], 'the signature is persisted in IndexedDB');
      assert.equal(record.terminal, true, 'the session is persisted as ended');
      const creatorReloaded = await creator.expectReload();
      await creator.evaluate(() => { setTimeout(() => location.reload(), 0); });
      await creatorReloaded.wait();
      await creator.waitForFunction(() => window.peerReady === true, null, { timeout: 60000 });
      assert.deepEqual(recordOf(await creator.evaluate(() => window.peer.stored())), record, 'the record survives a reload');
    } finally {
      for (const p of pages) await p.close();
    }
  });
});
