// Chromium with the WebRTC-NoSdpMangleUfrag field trial, which refuses an SDP offer whose ICE
// credentials were changed. rust-libp2p's browser webrtc-direct transport changes them, so no
// webrtc-direct dial can work there (issue 15 item 3; the handshake without munging is not
// implemented). The client probes for it at start() and falls back at once: webrtc-direct
// relays are skipped, `transportSelected` says why, and sessions run over WebSocket.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, IN_NETNS, pkg as m, unhex } from './lib/harness.mjs';

// Read when the harness launches Chromium (each test file runs in its own process).
process.env.MUSIG_E2E_CHROMIUM_FLAGS = '--force-fieldtrials=WebRTC-NoSdpMangleUfrag/Enabled/';

describe('chromium with WebRTC-NoSdpMangleUfrag', () => {
  const h = useHarness({ engine: 'chromium' });

  test('start() skips the webrtc-direct relay at once and a 3-of-3 signs over WebSocket', async (t) => {
    if (!IN_NETNS) {
      t.skip('no network namespace: the relay has no webrtc-direct listener a browser can use');
      return;
    }
    const pages = await h.openPeers(3, 'trial');
    try {
      const infos = [];
      for (const p of pages) {
        const t0 = Date.now();
        infos.push(await p.evaluate(([rtc, ws]) => window.peer.start([rtc, ws]), [h.relay.webrtc, h.relay.ws]));
        console.log(`# start() with [webrtc-direct, ws] under the trial: ${Date.now() - t0} ms`);
      }
      const selected = await pages[0].evaluate(() => window.peer.events.find((e) => e.type === 'transportSelected'));
      assert.equal(selected.webrtcAvailable, false);
      assert.deepEqual(selected.transports, ['websocket']);
      assert.deepEqual(selected.skippedRelays, [h.relay.webrtc], 'the webrtc-direct address is never dialled');
      assert.match(selected.reason, /SDP munging/);
      for (const info of infos) {
        for (const c of info.circuits) assert.ok(c.startsWith(`${h.relay.ws}/p2p-circuit/`), `reserved over WebSocket: ${c}`);
      }
      const signers = infos.map((i) => i.publicKey);
      const message = 'd4'.repeat(32);
      const id = await pages[0].evaluate(([s, msg]) => window.peer.create(s, msg), [signers, message]);
      const sigs = await Promise.all(pages.map((p) => p.evaluate((sid) => window.peer.signature(sid), id)));
      assert.equal(new Set(sigs).size, 1);
      const ctx = new m.SigningContext('bip327', signers.map(unhex), null);
      assert.equal(ctx.verify(unhex(message), unhex(sigs[0])), true);
    } finally {
      for (const p of pages) await p.close();
    }
  });

  test('with only a webrtc-direct relay, start() rejects at once and says why', async (t) => {
    if (!IN_NETNS) {
      t.skip('no network namespace: the relay has no webrtc-direct listener a browser can use');
      return;
    }
    const page = await h.openPeer('trial-rtc-only');
    try {
      const t0 = Date.now();
      const err = await page.evaluate(async (r) => {
        try { await window.peer.start([r], 15000); return null; } catch (e) { return { code: e.code, message: e.message }; }
      }, h.relay.webrtc);
      const ms = Date.now() - t0;
      assert.equal(err?.code, 'RELAY_UNREACHABLE');
      assert.match(err.message, /SDP munging/);
      // Far below the 15 s connect timeout: decided by the probe, not by failed dials.
      assert.ok(ms < 5000, `rejected after ${ms} ms`);
      console.log(`# start() with only webrtc-direct under the trial: rejected after ${ms} ms`);
    } finally {
      await page.close();
    }
  });
});
