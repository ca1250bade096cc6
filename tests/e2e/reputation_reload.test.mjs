// Peer reputation survives a page reload: a page that graylisted a garbage-spraying peer
// still has it graylisted, with the same score, after reloading (IndexedDB, public data only).
// Without the stored table the reloaded page would report a fresh peer (score 0, good).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness } from './lib/harness.mjs';

const h = useHarness();

test('a reloaded page restores the score and graylisting of a hostile peer', async () => {
  const [honest, hostile] = await h.openPeers(2, 'rep');
  try {
    // stickyKey: the reloaded page is the same wallet, so it reads the same stored table.
    const info = await honest.evaluate((r) => window.peer.start([r], 15000, 'bip327', false, true), h.relay.ws);
    const hostileInfo = await hostile.evaluate((r) => window.peer.start([r]), h.relay.ws);
    const fresh = await honest.evaluate((id) => window.peer.reputation(id), hostileInfo.peerId);
    assert.deepEqual(fresh, { score: 0, standing: 'good' });
    // Undecodable messages cost 10 points each; at -50 the sender is graylisted (10 min).
    await hostile.evaluate(([t]) => window.peer.spray(t, 8), [[info.circuits[0]]]);
    await honest.waitForFunction(
      (id) => window.peer.reputation(id).then((r) => r.standing === 'graylisted'),
      hostileInfo.peerId,
      { timeout: 10000 },
    );
    const before = await honest.evaluate((id) => window.peer.reputation(id), hostileInfo.peerId);
    assert.ok(before.score <= -50, `graylisted at score ${before.score}`);
    assert.ok(before.graylistedUntil > Date.now() + 60_000, 'graylisted for minutes');
    // Wait until the saved table (IndexedDB record `reputation:<public key>`) has it.
    await honest.waitForFunction(([key, want]) => new Promise((resolve) => {
      const open = indexedDB.open('musig2-p2p');
      open.onsuccess = () => {
        const req = open.result.transaction('sessions').objectStore('sessions').get(key);
        req.onsuccess = () => {
          open.result.close();
          resolve((req.result?.entries ?? []).some((e) => e.score === want.score && e.graylistedUntil === want.graylistedUntil));
        };
        req.onerror = () => resolve(false);
      };
      open.onerror = () => resolve(false);
    }), [`reputation:${info.publicKey}`, before], { timeout: 10000 });
    const reloaded = await honest.expectReload();
    await honest.evaluate(() => { setTimeout(() => location.reload(), 0); });
    await reloaded.wait();
    await honest.waitForFunction(() => window.peerReady === true, null, { timeout: 60000 });
    const again = await honest.evaluate((r) => window.peer.start([r], 15000, 'bip327', false, true), h.relay.ws);
    assert.equal(again.publicKey, info.publicKey, 'the reloaded page is the same wallet');
    const after = await honest.evaluate((id) => window.peer.reputation(id), hostileInfo.peerId);
    assert.deepEqual(after, before, 'score and graylisting restored after the reload');
  } finally {
    await honest.close();
    await hostile.close();
  }
});
