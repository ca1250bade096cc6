// The demo: starts two local relays on 127.0.0.1 peered into one federation (the second is
// given the first with `--peer`), serves www/ and the built package, prints the page URL and
// the relays' multiaddrs, and runs until Ctrl-C. Each tab of the page picks its relay; tabs on
// different relays co-sign through the federation. `startDemo()` is the same set-up for the
// tests (tests/e2e/demo_page.test.mjs).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startRelay, peerAddress, waitForPeering } from './lib/relay.mjs';
import { serveStatic } from './lib/static-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What /www/relays.json holds for `relays`: the default relay and the page's choices. */
export function relaysJson(relays) {
  const names = 'ABCDEFGH';
  return {
    relays: [relays[0].ws],
    relayChoices: relays.map((r, i) => ({ label: `relay ${names[i] ?? i + 1} (${r.peerId.slice(-8)})`, address: r.ws })),
  };
}

/**
 * Starts the two relays (separate processes: `ports[i]` and `dataDirs[i]` for relay i, the
 * second peered with the first) and the static server of the repository root, which also
 * answers /www/relays.json with the relays' WebSocket addresses (`relaysJson`). Resolves,
 * once the relays are connected to each other, to { relay, relays, server, pageUrl, stop() }
 * (`relay` is the first relay, the page's default).
 */
export async function startDemo({ host = '127.0.0.1', ports = [[0, 0, 0], [0, 0, 0]], port = 0, dataDirs = [], bin } = {}) {
  const relays = [];
  let server;
  try {
    for (const [i, p] of ports.entries()) {
      const peer = i > 0 ? ['--peer', peerAddress(relays[0])] : [];
      relays.push(await startRelay({ host, ports: p, dataDir: dataDirs[i], bin, extraArgs: ['--metrics-addr', '127.0.0.1:0', ...peer] }));
    }
    await waitForPeering(relays);
    server = await serveStatic(ROOT, {
      port,
      // webrtc-direct needs a non-loopback interface in headless setups; tabs use WebSocket here.
      generated: { '/www/relays.json': relaysJson(relays) },
    });
  } catch (e) {
    await Promise.all(relays.map((r) => r.stop()));
    throw e;
  }
  return {
    relay: relays[0],
    relays,
    server,
    pageUrl: `${server.url}/www/`,
    async stop() {
      await server.close();
      return Promise.all(relays.map((r) => r.stop()));
    },
  };
}

async function main() {
  const num = (name, dflt) => Number(process.env[name] || dflt);
  const demo = await startDemo({
    ports: [
      [num('RELAY_TCP_PORT', 4001), num('RELAY_WS_PORT', 4002), num('RELAY_WEBRTC_PORT', 4003)],
      [num('RELAY_B_TCP_PORT', 4011), num('RELAY_B_WS_PORT', 4012), num('RELAY_B_WEBRTC_PORT', 4013)],
    ],
    port: num('DEMO_PORT', 8080),
    dataDirs: [path.join(ROOT, '.relay-state'), path.join(ROOT, '.relay-state-b')],
    bin: process.env.MUSIG2_RELAY_BIN,
  });
  const choices = relaysJson(demo.relays).relayChoices;
  for (const [i, relay] of demo.relays.entries()) {
    console.log(`${choices[i].label} peer id:`, relay.peerId);
    for (const a of relay.addrs) console.log(`${choices[i].label} listening on`, a);
  }
  console.log(`\nthe relays are peered. demo wallet page: ${demo.pageUrl}  (open it in two or more tabs;`);
  console.log('each tab picks its relay: tabs on different relays sign together through the federation)\nCtrl-C stops.');

  let stopping = false;
  async function shutdown() {
    if (stopping) return;
    stopping = true;
    await demo.stop();
    process.exit(0);
  }
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  for (const relay of demo.relays) {
    relay.child.on('exit', (code) => {
      if (!stopping) {
        console.error(`a relay exited unexpectedly (${code})\n${relay.stderr()}`);
        stopping = true;
        demo.stop().finally(() => process.exit(1));
      }
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
