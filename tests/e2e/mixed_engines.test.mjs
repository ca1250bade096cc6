// One signer per engine: a Chromium, a Firefox and a WebKitGTK page complete 3-of-3 sessions
// together through one relay. Inside the test network namespace the engines that have WebRTC
// reach the relay over webrtc-direct while WebKit uses WebSocket, so transports mix too.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, pkg as m, unhex, IN_NETNS } from './lib/harness.mjs';
import { ENGINES, HAS_WEBRTC } from './lib/engines.mjs';

const engines = ENGINES;

describe(`mixed engines (${engines.join(', ')})`, { skip: engines.length < 2 && 'needs at least two engines in MUSIG_E2E_ENGINES' }, () => {
  const h = useHarness({ engines });

  async function mixedSession(scheme, taproot, creatorEngine) {
    const pages = await Promise.all(engines.map((e) => h.openPeer(`mixed-${e}`, e)));
    try {
      const relayFor = (e) => (IN_NETNS && HAS_WEBRTC[e] ? h.relay.webrtc : h.relay.ws);
      const infos = await Promise.all(pages.map((p, i) => p.evaluate(([r, s]) => window.peer.start([r], 20000, s), [relayFor(engines[i]), scheme])));
      const transports = engines.map((e) => `${e}=${relayFor(e) === h.relay.ws ? 'ws' : 'webrtc-direct'}`).join(' ');
      const signers = infos.map((i) => i.publicKey);
      const message = '3e'.repeat(32);
      const creator = pages[Math.max(0, engines.indexOf(creatorEngine))];
      const t0 = performance.now();
      const sessionId = await creator.evaluate(([s, msg, tr]) => window.peer.create(s, msg, tr), [signers, message, taproot]);
      const sigs = await Promise.all(pages.map((p) => p.evaluate((id) => window.peer.signature(id), sessionId)));
      const elapsed = Math.round(performance.now() - t0);
      console.log(`# mixed-engine ${scheme} 3-of-3 (${transports}), created in ${creator.engine}: create -> every signature ${elapsed} ms`);
      assert.equal(new Set(sigs).size, 1, 'every engine holds the same signature');
      const ctx = new m.SigningContext(scheme, signers.map(unhex), taproot);
      assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true, 'the signature verifies under the aggregate key');
    } finally {
      await Promise.all(pages.map((p) => p.close()));
    }
  }

  test('one signer per engine completes a BIP-327 session created in WebKit', async () => {
    await mixedSession('bip327', null, 'webkit');
  });

  test('one signer per engine completes a Lotus (Taproot) session created in Firefox', async () => {
    await mixedSession('lotus', { merkleRoot: null }, 'firefox');
  });
});
