// The demo: starts a local relay on 127.0.0.1, serves www/ and the built package, prints the
// page URL and the relay's multiaddrs, and runs until Ctrl-C.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRelay } from './lib/relay.mjs';
import { serveStatic } from './lib/static-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const num = (name, dflt) => Number(process.env[name] || dflt);
const ports = [num('RELAY_TCP_PORT', 4001), num('RELAY_WS_PORT', 4002), num('RELAY_WEBRTC_PORT', 4003)];

const relay = await startRelay({
  host: '127.0.0.1',
  ports,
  dataDir: path.join(ROOT, '.relay-state'),
  bin: process.env.MUSIG2_RELAY_BIN,
});
const server = await serveStatic(ROOT, {
  port: num('DEMO_PORT', 8080),
  // webrtc-direct needs a non-loopback interface in headless setups; tabs use WebSocket here.
  generated: { '/www/relays.json': { relays: [relay.ws] } },
});

console.log('relay peer id:', relay.peerId);
for (const a of relay.addrs) console.log('relay listening on', a);
console.log(`\ndemo wallet page: ${server.url}/www/  (open it in two or more tabs)\nCtrl-C stops.`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await server.close();
  await relay.stop();
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
