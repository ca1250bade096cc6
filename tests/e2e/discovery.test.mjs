// Signer discovery from JavaScript through a real relay process (issue 14 item 3, issue 13
// class 5): wallet A advertises for two types with an identity claim, wallet C for one type
// with a claim the chain does not know, one with an institutional claim, three more wallets
// with claims B's verifier answers by throwing, rejecting and resolving to garbage; wallet B, whose identityVerifier answers
// from a fake chain (txid -> tier), watches both types, sees every signer with the right tier
// (the broken answers count as unverified), lists them with knownSigners, and signs a 2-of-2
// session with the key it found. B runs in each engine, the advertisers in Chromium.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex } from './lib/harness.mjs';
import { ENGINES } from './lib/engines.mjs';

const LIFETIME_MS = 600000;
/** Lets the relay graft a new subscriber into its topic mesh before anyone publishes (peers
 *  accept one advertisement per publisher a minute, so publishing is done once). */
const GRAFT_WAIT_MS = 1500;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const start = (page, relay, chain = null) => page.evaluate(([r, c]) => window.peer.start([r], 15000, 'bip327', true, false, c), [relay, chain]);
const advertised = (page, n) => page.waitForFunction((k) => window.peer.events.filter((e) => e.type === 'signerAdvertised').length >= k, n, { timeout: 15000 })
  .then(() => page.evaluate(() => window.peer.events.filter((e) => e.type === 'signerAdvertised')));
const claim = (txid, vout) => ({ registration: { txid, vout } });

/** B and `signer` sign a 2-of-2 session B creates; returns after checking the signature. */
async function signTwoOfTwo(b, signer, keys, message) {
  const sessionId = await b.evaluate(([s, msg]) => window.peer.create(s, msg, null, 'spend'), [keys, message]);
  const sigs = await Promise.all([b, signer].map((p) => p.evaluate((id) => window.peer.signature(id), sessionId)));
  assert.equal(sigs[0], sigs[1], 'both wallets hold the same signature');
  const ctx = new m.SigningContext('bip327', keys.map(unhex), null);
  assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the signature verifies under the aggregate key');
}

for (const engine of ENGINES) describe(engine, () => {
  // The watcher B runs in `engine`; the advertisers run in Chromium, whose pages are cheap
  // (every WebDriver page is a browser process of its own).
  const h = useHarness({ engines: engine === 'chromium' ? ['chromium'] : [engine, 'chromium'] });

  test(`${engine}: advertised signers are found by type, tiered by the JS verifier, and sign`, async () => {
    const regA = '11'.repeat(32);
    const regC = '22'.repeat(32);
    const regI = '33'.repeat(32);
    // Claims B's verifier answers badly: it throws, rejects, resolves to a non-tier.
    const broken = { ['a1'.repeat(32)]: 'throw', ['a2'.repeat(32)]: 'reject', ['a3'.repeat(32)]: 'garbage' };
    const chain = { [regA]: 'verified', [regI]: 'institutional', ...broken };
    const pages = await Promise.all([
      h.openPeer(`disc-b-${engine}`, engine),
      ...['a', 'c', 'institution', 'throw', 'reject', 'garbage'].map((l) => h.openPeer(`disc-${l}`, 'chromium')),
    ]);
    const [b, a, c, inst, ...hostile] = pages;
    try {
      const tStart = Date.now();
      const [infoB, infoA, infoC, infoI, ...infoH] = await Promise.all(pages.map((p, i) => start(p, h.relay.ws, i === 0 ? chain : null)));
      console.log(`# ${engine}: seven wallets started in ${Date.now() - tStart} ms`);
      await b.evaluate(() => window.peer.watch(['spend', 'swap']));
      await sleep(GRAFT_WAIT_MS);
      const t0 = Date.now();
      const brokenTxids = Object.keys(broken);
      const spendOnly = (p, id) => p.evaluate((i) => window.peer.advertise({ txTypes: ['spend'], identity: i }), id);
      await Promise.all([
        a.evaluate(([l, id]) => window.peer.advertise({ txTypes: ['spend', 'swap'], lifetimeMs: l, identity: id }), [LIFETIME_MS, claim(regA, 0)]),
        spendOnly(c, claim(regC, 1)),
        spendOnly(inst, claim(regI, 2)),
        ...hostile.map((p, i) => spendOnly(p, claim(brokenTxids[i], 0))),
      ]);
      const events = await advertised(b, 7);
      console.log(`# ${engine}: advertisements of six wallets (seven watched-type events) seen after ${Date.now() - t0} ms`);

      // One event per watched type the advertisement names, after the verifier answered.
      const ofA = events.filter((e) => e.publicKey === infoA.publicKey);
      assert.deepEqual(ofA.map((e) => e.txType).sort(), ['spend', 'swap']);
      for (const e of ofA) {
        assert.equal(e.tier, 'verified', `A's claim is on the fake chain (${e.txType})`);
        assert.equal(e.peerId, infoA.peerId);
        assert.deepEqual(e.txTypes, ['spend', 'swap']);
        assert.ok(Math.abs(e.expiresAt - (t0 + LIFETIME_MS)) < 10000, `expiresAt ${e.expiresAt} ~ now + lifetime`);
      }
      const ofC = events.filter((e) => e.publicKey === infoC.publicKey);
      assert.deepEqual(ofC.map((e) => [e.txType, e.tier, e.peerId]), [['spend', 'unverified', infoC.peerId]], 'an unknown claim is unverified');
      assert.deepEqual(events.filter((e) => e.publicKey === infoI.publicKey).map((e) => e.tier), ['institutional']);
      for (const [i, info] of infoH.entries()) {
        const of = events.filter((e) => e.publicKey === info.publicKey);
        assert.deepEqual(of.map((e) => [e.txType, e.tier]), [['spend', 'unverified']], `verifier answer ${Object.values(broken)[i]}`);
      }
      assert.ok(events.every((e) => e.publicKey !== infoB.publicKey));

      // The verifier was asked once per claim, with the claim as advertised.
      const byPublicKey = (x, y) => x.publicKey.localeCompare(y.publicKey);
      const calls = await b.evaluate(() => window.peer.verifierCalls);
      const maxInFlight = await b.evaluate(() => window.peer.verifierMaxInFlight);
      // Five asynchronous answers of 400 ms each, for adverts that arrive within a few hundred ms.
      console.log(`# ${engine}: at most ${maxInFlight} of 5 asynchronous verifier calls were pending at once`);
      assert.ok(maxInFlight >= 1 && maxInFlight <= 4, `verifier calls in flight: ${maxInFlight} (bound 4)`);
      assert.deepEqual(calls.sort(byPublicKey), [
        { publicKey: infoA.publicKey, ...claim(regA, 0) },
        { publicKey: infoC.publicKey, ...claim(regC, 1) },
        { publicKey: infoI.publicKey, ...claim(regI, 2) },
        ...infoH.map((info, i) => ({ publicKey: info.publicKey, ...claim(brokenTxids[i], 0) })),
      ].sort(byPublicKey));

      const spend = await b.evaluate(() => window.peer.known('spend'));
      const swap = await b.evaluate(() => window.peer.known('swap'));
      const byKey = Object.fromEntries(spend.map((s) => [s.publicKey, s]));
      assert.deepEqual(Object.keys(byKey).sort(), [infoA, infoC, infoI, ...infoH].map((i) => i.publicKey).sort());
      assert.equal(byKey[infoA.publicKey].tier, 'verified');
      assert.equal(byKey[infoA.publicKey].peerId, infoA.peerId);
      assert.equal(byKey[infoI.publicKey].tier, 'institutional');
      for (const info of [infoC, ...infoH]) assert.equal(byKey[info.publicKey].tier, 'unverified');
      assert.deepEqual(swap.map((s) => [s.publicKey, s.tier, s.expiresAt]), [[infoA.publicKey, 'verified', byKey[infoA.publicKey].expiresAt]]);

      // Bad arguments are typed errors (and send nothing).
      const codes = await c.evaluate(async () => Promise.all([
        window.peer.errorCode('advertise', { txTypes: [] }),
        window.peer.errorCode('advertise', { txTypes: ['Not A Type'] }),
        window.peer.errorCode('advertise', { txTypes: ['spend'], lifetimeMs: 3600001 }),
        window.peer.errorCode('advertise', { txTypes: ['spend'], lifetimeMs: 0 }),
        window.peer.errorCode('advertise', { txTypes: ['spend'], identity: { registration: { txid: 'zz', vout: 0 } } }),
        window.peer.errorCode('advertise', { txTypes: ['spend'], identity: { registration: { txid: '00'.repeat(32), vout: -1 } } }),
        window.peer.errorCode('watchSigners', 'spend'),
        window.peer.errorCode('knownSigners', 42),
      ]));
      assert.deepEqual(codes, Array(8).fill('INVALID_ARGUMENT'));

      // B signs with the signer it found; the broken verifier calls broke nothing.
      const t1 = Date.now();
      await signTwoOfTwo(b, a, [infoB.publicKey, swap[0].publicKey], '7d'.repeat(32));
      console.log(`# ${engine}: 2-of-2 with the signer found: ${Date.now() - t1} ms`);
      for (const p of [a, b, c]) assert.deepEqual(await p.evaluate(() => window.pageErrors), []);
    } finally {
      await Promise.all(pages.map((p) => p.close()));
    }
  });
});
