// Three browser pages complete a 3-of-3 MuSig2 session through a real relay process, in both
// schemes and in each engine; the signature is verified in Node with the same package.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex } from './lib/harness.mjs';
import { ENGINES } from './lib/engines.mjs';

for (const engine of ENGINES) describe(engine, () => {
  const h = useHarness({ engine });

  async function signThreeOfThree(scheme, taproot) {
    const pages = await h.openPeers(3, scheme);
    try {
      const infos = [];
      for (const p of pages) infos.push(await p.evaluate(([r, s]) => window.peer.start([r], 15000, s), [h.relay.ws, scheme]));
      const signers = infos.map((i) => i.publicKey);
      const message = '5a'.repeat(32);
      const t0 = Date.now();
      const sessionId = await pages[0].evaluate(([s, msg, tr]) => window.peer.create(s, msg, tr), [signers, message, taproot]);
      assert.match(sessionId, /^[0-9a-f]{64}$/);
      const sigs = await Promise.all(pages.map((p) => p.evaluate((id) => window.peer.signature(id), sessionId)));
      const elapsed = Date.now() - t0;
      console.log(`# ${scheme}${taproot ? ' taproot' : ''} 3-of-3 in ${engine} through the relay: ${elapsed} ms`);
      assert.equal(new Set(sigs).size, 1, 'every page holds the same signature');
      const ctx = new m.SigningContext(scheme, signers.map(unhex), taproot);
      assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the signature verifies under the aggregate key');
      // Every page saw the coordinator elected and the rounds progress in order.
      for (const p of pages) {
        const events = await p.evaluate(() => window.peer.events);
        const phases = events.filter((e) => e.type === 'phaseChanged' && e.sessionId === sessionId).map((e) => e.phase);
        assert.ok(events.some((e) => e.type === 'coordinatorElected'), 'coordinator elected');
        assert.ok(phases.indexOf('nonceCollection') < phases.indexOf('partialSigCollection'), `rounds in order: ${phases}`);
        assert.ok(events.some((e) => e.type === 'signatureReady'), 'signatureReady event');
      }
    } finally {
      for (const p of pages) await p.close();
    }
  }

  test(`three ${engine} pages sign 3-of-3 with BIP-327 through the relay`, async () => {
    await signThreeOfThree('bip327', null);
  });

  test(`three ${engine} pages sign 3-of-3 with Lotus (Taproot) through the relay`, async () => {
    await signThreeOfThree('lotus', { merkleRoot: null });
  });
});
