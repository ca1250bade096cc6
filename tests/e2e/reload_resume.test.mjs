// A page reloaded mid-session (right after it joined) resumes the session from
// IndexedDB and the session completes, with fresh nonces: no secret nonce survives a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex } from './lib/harness.mjs';

const h = useHarness();

test('a page reloaded mid-session resumes and the session completes without nonce reuse', async () => {
  const pages = await h.openPeers(3, 'rl');
  try {
    const infos = [];
    for (const p of pages) infos.push(await p.evaluate((r) => window.peer.start([r], 15000, 'bip327', true, true), h.relay.ws));
    const signers = infos.map((i) => i.publicKey);
    const reloaded = pages[2];
    await reloaded.evaluate(() => window.peer.reloadAtPhase('joining'));
    const navigated = reloaded.waitForEvent('load');
    const message = 'a1'.repeat(32);
    const sessionId = await pages[0].evaluate(([s, msg]) => window.peer.create(s, msg), [signers, message]);
    await navigated;
    await reloaded.waitForFunction(() => window.peerReady === true);
    // Same wallet key (the page's key store), new page: start() resumes from IndexedDB.
    const again = await reloaded.evaluate((r) => window.peer.start([r], 15000, 'bip327', true, true), h.relay.ws);
    assert.equal(again.publicKey, infos[2].publicKey, 'the reloaded page is the same signer');
    const sigs = await Promise.all(pages.map((p) => p.evaluate((id) => window.peer.signature(id), sessionId)));
    assert.equal(new Set(sigs).size, 1, 'all three pages hold the same signature');
    const ctx = new m.SigningContext('bip327', signers.map(unhex), null);
    assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the signature verifies');
    // Usually the reload lands before the page produced its nonce or partial signature:
    // its secret nonce is gone, so the session moves to a new attempt with fresh nonces for
    // everyone. If the page was fast enough to sign before the reload took effect, the
    // first attempt completes; either way the reloaded page resumed from IndexedDB and got
    // the signature, and no secret nonce was ever persisted (nothing could be reused).
    const attempts = await pages[0].evaluate(() => window.peer.events.filter((e) => e.type === 'newAttempt').length);
    const resumedEvents = await reloaded.evaluate((id) => window.peer.events.filter((e) => e.sessionId === id).length, sessionId);
    console.log(`# reload mid-session: ${attempts} new attempt(s) seen by the creator`);
    assert.ok(resumedEvents > 0, 'the reloaded page resumed the session (it reports its events)');
  } finally {
    for (const p of pages) await p.close();
  }
});
