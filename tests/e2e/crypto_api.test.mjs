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

// BIP-340 19, Lotus Schnorr 19, KeySort 1, and the BIP-327 / Lotus NonceGen vectors of
// lib/crypto_checks_bip327.mjs: KeyAgg 9, tweak 6, NonceGen 4, NonceAgg 5, sign/verify 16
// (all but the invalid-secnonce case, which JS cannot reach), PartialSigAgg 5,
// DeterministicSign 9, Lotus NonceGen 12.
const CASES = 19 + 19 + 1 + 9 + 6 + 4 + 5 + 16 + 5 + 9 + 12;

const vectors = Object.fromEntries(
  Object.entries(VECTOR_FILES).map(([k, p]) => [k, readFileSync(path.join(ROOT, p), 'utf8')]),
);

test('crypto API passes its checks in Node', () => {
  const m = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/musig2_p2p.js'));
  const cases = runCryptoChecks(m, vectors);
  assert.equal(cases, CASES);
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
    assert.deepEqual(result, { ok: true, cases: CASES });
  } finally {
    await browser.close();
    await server.close();
  }
});
