// Two browser peers in headless Chromium reserve circuit-relay v2 slots on a real relay
// process and exchange a direct request-response message through /p2p-circuit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ROOT } from './lib/paths.mjs';
import { startRelay } from '../../scripts/lib/relay.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { launchChromium, openPage } from './lib/browser.mjs';

// Inside the test network namespace (scripts/with-netns.sh) the relay also has a non-loopback
// address, which headless Chromium needs for webrtc-direct.
const IN_NETNS = process.env.MUSIG_NETNS === '1';
const RELAY_HOST = process.env.MUSIG_RELAY_HOST || '127.0.0.1';

let relay, server, browser;

before(async () => {
  relay = await startRelay({ host: RELAY_HOST });
  server = await serveStatic(ROOT);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  const exit = await relay?.stop();
  // The relay must shut down cleanly on SIGTERM.
  assert.deepEqual(exit, { code: 0, signal: null });
});

async function exchangeThroughRelay(relayAddr, label) {
  const a = await openPage(browser, `${server.url}/tests/e2e/pages/peer.html`, `${label}-A`);
  const b = await openPage(browser, `${server.url}/tests/e2e/pages/peer.html`, `${label}-B`);
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

test('two browser peers exchange a direct message through the relay over WebSocket', async () => {
  await exchangeThroughRelay(relay.ws, 'ws');
});

test('two browser peers exchange a direct message through the relay over webrtc-direct', async (t) => {
  if (!IN_NETNS) {
    t.skip('no network namespace: headless Chromium cannot use webrtc-direct on a loopback-only host (run through scripts/with-netns.sh)');
    return;
  }
  await exchangeThroughRelay(relay.webrtc, 'webrtc');
});

test('start() rejects with RELAY_UNREACHABLE when no relay answers', async () => {
  const page = await openPage(browser, `${server.url}/tests/e2e/pages/peer.html`, 'unreachable');
  try {
    // A relay address on a port nobody listens on (the relay's peer ID, a closed port).
    const dead = relay.ws.replace(/\/tcp\/\d+\//, '/tcp/9/');
    const err = await page.evaluate(async (r) => {
      try { await window.peer.start([r], 3000); return null; } catch (e) { return { code: e.code, message: e.message }; }
    }, dead);
    assert.equal(err?.code, 'RELAY_UNREACHABLE');
  } finally {
    await page.close();
  }
});
