// Shared set-up of the end-to-end tests: one relay process (or a chain of peered relays), one
// static server for the repository root and one browser engine per suite, plus the Node build
// of the package.
import { before, after } from 'node:test';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './paths.mjs';
import { startRelayChain, waitForPeering } from '../../../scripts/lib/relay.mjs';
import { serveStatic } from '../../../scripts/lib/static-server.mjs';
import { launchEngine, openEnginePage } from './engines.mjs';

export { peerAddress, startRelayChain, waitForPeering } from '../../../scripts/lib/relay.mjs';

/** The package built for Node (pkg/node), for verifying what the pages produce. */
export const pkg = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/musig2_p2p.js'));

/** Hex to bytes. */
export const unhex = (s) => Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16));

/**
 * Whether the tests run inside scripts/with-netns.sh, where the relay also has a non-loopback
 * address: headless browsers need one for webrtc-direct.
 */
export const IN_NETNS = process.env.MUSIG_NETNS === '1';

/**
 * The page origin's host name. Firefox refuses WebRTC from `localhost`/`127.0.0.1` pages;
 * `p2p.localhost` resolves to loopback in every engine and is a secure context.
 */
export const PAGE_HOST = process.env.MUSIG_PAGE_HOST || 'p2p.localhost';

/**
 * Registers before/after hooks that start and stop the relays, server and `engine`s (one
 * browser per engine: a suite may mix engines). `relays` (default 1) relay processes are
 * started as a chain (`startRelayChain`): `h.relay` is the first, `h.relays` all of them.
 * The returned object's fields are filled in once the `before` hook ran.
 */
export function useHarness({ engine = 'chromium', engines = [engine], relayHost = process.env.MUSIG_RELAY_HOST || '127.0.0.1', relays = 1 } = {}) {
  const h = {
    engine,
    /** The first relay; `relays` holds every relay of the chain. */
    relay: null,
    relays: [],
    server: null,
    /** The browser of each engine, by name; `browser` is the first one's. */
    browsers: {},
    browser: null,
    /** The URL of the test peer page. */
    peerUrl: null,
    /** Opens one test peer page in `engineName`. */
    openPeer(label, engineName = engine) {
      return openEnginePage(h.browsers[engineName], h.peerUrl, label);
    },
    /** Opens `n` test peer pages (concurrently: WebDriver browsers start slowly). */
    async openPeers(n, label, engineName = engine) {
      const opened = await Promise.allSettled(Array.from({ length: n }, (_, i) => h.openPeer(`${engineName}-${label}-${i}`, engineName)));
      const failed = opened.find((r) => r.status === 'rejected');
      if (failed) {
        await Promise.all(opened.filter((r) => r.status === 'fulfilled').map((r) => r.value.close()));
        throw failed.reason;
      }
      return opened.map((r) => r.value);
    },
    /** The first relay's exit status, once `after` ran; `relayExits` has every relay's. */
    relayExit: null,
    relayExits: [],
  };
  before(async () => {
    h.relays = await startRelayChain(relays, { host: relayHost });
    h.relay = h.relays[0];
    if (relays > 1) {
      const t0 = Date.now();
      await waitForPeering(h.relays);
      console.log(`# ${relays} relays peered in a chain in ${Date.now() - t0} ms`);
    }
    h.server = await serveStatic(ROOT);
    h.peerUrl = `http://${PAGE_HOST}:${h.server.port}/tests/e2e/pages/peer.html`;
    for (const e of engines) h.browsers[e] = await launchEngine(e);
    h.browser = h.browsers[engines[0]];
  });
  after(async () => {
    for (const b of Object.values(h.browsers)) await b?.close();
    await h.server?.close();
    h.relayExits = await Promise.all(h.relays.map((r) => r.stop()));
    h.relayExit = h.relayExits[0] ?? null;
  });
  return h;
}
