// The low-level JS crypto API, from Node (pkg/node) and from headless Chromium (pkg/web).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './lib/paths.mjs';
import { runCryptoChecks, VECTOR_FILES } from './lib/crypto_checks.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { launchChromium } from './lib/browser.mjs';

const vectors = Object.fromEntries(
  Object.entries(VECTOR_FILES).map(([k, p]) => [k, readFileSync(path.join(ROOT, p), 'utf8')]),
);

test('crypto API passes its checks in Node', () => {
  const m = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/musig2_p2p.js'));
  const cases = runCryptoChecks(m, vectors);
  assert.equal(cases, 19 + 19 + 1);
});

test('crypto API passes its checks in headless Chromium', async () => {
  const server = await serveStatic(ROOT);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/tests/e2e/pages/crypto.html`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60000 });
    const result = await page.evaluate(() => window.result);
    assert.equal(result.error, undefined);
    assert.deepEqual(result, { ok: true, cases: 19 + 19 + 1 });
  } finally {
    await browser.close();
    await server.close();
  }
});
