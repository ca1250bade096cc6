// Two browser peers reserve circuit-relay v2 slots on a real relay process and exchange a
// direct request-response message through /p2p-circuit, in each engine and over each
// transport the engine has.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { useHarness, IN_NETNS } from './lib/harness.mjs';
import { ENGINES, HAS_WEBRTC } from './lib/engines.mjs';

for (const engine of ENGINES) {
  describe(engine, () => {
    const h = useHarness({ engine });
    after(() => {
      // The relay must shut down cleanly on SIGTERM.
      assert.deepEqual(h.relayExit, { code: 0, signal: null });
    });

    async function exchangeThroughRelay(relayAddr, label) {
      const [a, b] = await h.openPeers(2, label);
      try {
        const infoA = await a.evaluate((r) => window.peer.start([r]), relayAddr);
        const infoB = await b.evaluate((r) => window.peer.start([r]), relayAddr);
        assert.equal(infoB.circuits.length, 1, 'B holds one reservation');
        assert.ok(infoB.circuits[0].startsWith(`${relayAddr}/p2p-circuit/p2p/${infoB.peerId}`));
        const payload = Array.from(randomBytes(1500));
        await a.evaluate(([addr, bytes]) => window.peer.send(addr, bytes), [infoB.circuits[0], payload]);
        const received = await b.evaluate(() => window.peer.received);
        assert.equal(received.length, 1, 'B received exactly one message');
        assert.equal(received[0].from, infoA.peerId, 'the sender is authenticated as A');
        assert.deepEqual(received[0].data, payload, 'B received exactly the bytes A sent');
      } finally {
        await a.close();
        await b.close();
      }
    }

    test(`two ${engine} peers exchange a direct message through the relay over WebSocket`, async () => {
      await exchangeThroughRelay(h.relay.ws, 'ws');
    });

    test(`two ${engine} peers exchange a direct message through the relay over webrtc-direct`, async (t) => {
      if (!HAS_WEBRTC[engine]) {
        t.skip(`${engine} here has no RTCPeerConnection (Debian's WebKitGTK is built without WebRTC): WebSocket only`);
        return;
      }
      if (!IN_NETNS) {
        t.skip('no network namespace: headless browsers cannot use webrtc-direct on a loopback-only host (run through scripts/with-netns.sh)');
        return;
      }
      await exchangeThroughRelay(h.relay.webrtc, 'webrtc');
    });

    test(`${engine} selects its transports by capability and says so in a transportSelected event`, async () => {
      const page = await h.openPeer(`${engine}-transport`);
      try {
        // Both of the relay's addresses: webrtc-direct first, then WebSocket.
        const info = await page.evaluate(([rtc, ws]) => window.peer.start([rtc, ws]), [h.relay.webrtc, h.relay.ws]);
        const selected = (await page.evaluate(() => window.peer.events)).filter((e) => e.type === 'transportSelected');
        assert.equal(selected.length, 1, 'one transportSelected event');
        const [ev] = selected;
        assert.equal(ev.webrtcAvailable, HAS_WEBRTC[engine]);
        if (HAS_WEBRTC[engine]) {
          assert.deepEqual(ev.transports, ['websocket', 'webrtc-direct']);
          assert.deepEqual(ev.relays, [h.relay.webrtc, h.relay.ws]);
          assert.deepEqual(ev.skippedRelays, []);
        } else {
          assert.deepEqual(ev.transports, ['websocket']);
          assert.deepEqual(ev.relays, [h.relay.ws], 'only the WebSocket relay address is dialled');
          assert.deepEqual(ev.skippedRelays, [h.relay.webrtc], 'the webrtc-direct address is never tried');
          assert.match(ev.reason, /RTCPeerConnection/);
          for (const c of info.circuits) assert.ok(c.startsWith(`${h.relay.ws}/p2p-circuit/`), `reserved over WebSocket: ${c}`);
          // With only webrtc-direct relays there is nothing to dial: start() says so at once
          // instead of waiting for the connect timeout.
          const second = await h.openPeer(`${engine}-webrtc-only`);
          try {
            const err = await second.evaluate(async (r) => {
              try { await window.peer.start([r], 15000); return null; } catch (e) { return { code: e.code, message: e.message }; }
            }, h.relay.webrtc);
            assert.equal(err?.code, 'RELAY_UNREACHABLE');
            assert.match(err.message, /webrtc-direct/, 'rejected for the missing transport, not by the connect timeout');
          } finally {
            await second.close();
          }
        }
        assert.ok(info.circuits.length >= 1, 'a reservation was made');
      } finally {
        await page.close();
      }
    });

    test(`start() in ${engine} rejects with RELAY_UNREACHABLE when no relay answers`, async () => {
      const page = await h.openPeer(`${engine}-unreachable`);
      try {
        // A relay address on a port nobody listens on (the relay's peer ID, a closed port).
        const dead = h.relay.ws.replace(/\/tcp\/\d+\//, '/tcp/9/');
        const err = await page.evaluate(async (r) => {
          try { await window.peer.start([r], 3000); return null; } catch (e) { return { code: e.code, message: e.message }; }
        }, dead);
        assert.equal(err?.code, 'RELAY_UNREACHABLE');
      } finally {
        await page.close();
      }
    });

    test(`a ${engine} WebSocket dial that never completes times out and the relay is dialled again`, async () => {
      // A server that accepts TCP and never answers the WebSocket handshake: the socket stays
      // connecting, and only the client's dial timeout (5 s) ends the attempt.
      const sockets = new Set();
      const silent = createServer((s) => { sockets.add(s); s.on('error', () => {}); });
      const host = h.relay.ws.match(/^\/ip4\/([^/]+)\//)[1];
      await new Promise((resolve) => silent.listen(0, host, resolve));
      const hanging = h.relay.ws.replace(/\/tcp\/\d+\//, `/tcp/${silent.address().port}/`);
      const page = await h.openPeer(`${engine}-hanging`);
      try {
        const err = await page.evaluate(async (r) => {
          try { await window.peer.start([r], 8000); return null; } catch (e) { return { code: e.code }; }
        }, hanging);
        assert.equal(err?.code, 'RELAY_UNREACHABLE');
        const failed = (await page.evaluate(() => window.peer.events)).filter((e) => e.type === 'relayUnreachable');
        assert.ok(failed.length >= 1, 'the hanging dial was given up (then retried), not left pending');
        assert.ok(sockets.size >= 2, `the relay was dialled again after the timeout (${sockets.size} connections)`);
      } finally {
        await page.close();
        for (const s of sockets) s.destroy();
        silent.close();
      }
    });
  });
}
