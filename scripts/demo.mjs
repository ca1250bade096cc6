// The demo: starts a local relay on 127.0.0.1, serves www/ and the built package, prints the
// page URL and the relay's multiaddrs, and runs until Ctrl-C. `startDemo()` is the same set-up
// for the tests (tests/e2e/demo_page.test.mjs).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startRelay } from './lib/relay.mjs';
import { serveStatic } from './lib/static-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Starts the relay (a separate process) and the static server of the repository root, which
 * also answers /www/relays.json with the relay's WebSocket address. Resolves to
 * { relay, server, pageUrl, stop() }.
 */
export async function startDemo({ host = '127.0.0.1', ports = [0, 0, 0], port = 0, dataDir, bin } = {}) {
  const relay = await startRelay({ host, ports, dataDir, bin });
  let server;
  try {
    server = await serveStatic(ROOT, {
      port,
      // webrtc-direct needs a non-loopback interface in headless setups; tabs use WebSocket here.
      generated: { '/www/relays.json': { relays: [relay.ws] } },
    });
  } catch (e) {
    await relay.stop();
    throw e;
  }
  return {
    relay,
    server,
    pageUrl: `${server.url}/www/`,
    async stop() {
      await server.close();
      return relay.stop();
    },
  };
}

async function main() {
  const num = (name, dflt) => Number(process.env[name] || dflt);
  const demo = await startDemo({
    ports: [num('RELAY_TCP_PORT', 4001), num('RELAY_WS_PORT', 4002), num('RELAY_WEBRTC_PORT', 4003)],
    port: num('DEMO_PORT', 8080),
    dataDir: path.join(ROOT, '.relay-state'),
    bin: process.env.MUSIG2_RELAY_BIN,
  });
  const { relay } = demo;
  console.log('relay peer id:', relay.peerId);
  for (const a of relay.addrs) console.log('relay listening on', a);
  console.log(`\ndemo wallet page: ${demo.pageUrl}  (open it in two or more tabs)\nCtrl-C stops.`);

  let stopping = false;
  async function shutdown() {
    if (stopping) return;
    stopping = true;
    await demo.stop();
    process.exit(0);
  }
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  relay.child.on('exit', (code) => {
    if (!stopping) {
      console.error(`relay exited unexpectedly (${code})\n${relay.stderr()}`);
      process.exit(1);
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
