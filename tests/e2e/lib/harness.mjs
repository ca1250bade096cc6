// Shared set-up of the end-to-end tests: one relay process, one static server for the
// repository root and one headless Chromium per test file, plus the Node build of the package.
import { before, after } from 'node:test';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './paths.mjs';
import { startRelay } from '../../../scripts/lib/relay.mjs';
import { serveStatic } from '../../../scripts/lib/static-server.mjs';
import { launchChromium, openPage } from './browser.mjs';

/** The package built for Node (pkg/node), for verifying what the pages produce. */
export const pkg = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/musig2_p2p.js'));

/** Hex to bytes. */
export const unhex = (s) => Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16));

/**
 * Registers before/after hooks that start and stop the relay, server and browser. The
 * returned object's fields are filled in once the `before` hook ran.
 */
export function useHarness({ relayHost = process.env.MUSIG_RELAY_HOST || '127.0.0.1' } = {}) {
  const h = {
    relay: null,
    server: null,
    browser: null,
    /** Opens `n` test peer pages. */
    async openPeers(n, label) {
      const pages = [];
      for (let i = 0; i < n; i++) {
        pages.push(await openPage(h.browser, `${h.server.url}/tests/e2e/pages/peer.html`, `${label}-${i}`));
      }
      return pages;
    },
    /** The relay exit status, once `after` ran. */
    relayExit: null,
  };
  before(async () => {
    h.relay = await startRelay({ host: relayHost });
    h.server = await serveStatic(ROOT);
    h.browser = await launchChromium();
  });
  after(async () => {
    await h.browser?.close();
    await h.server?.close();
    h.relayExit = await h.relay?.stop();
  });
  return h;
}
