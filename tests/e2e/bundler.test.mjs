// The package's bundler build (`musig2-p2p/bundler`, wasm-bindgen's bundler target) bundled by
// a real bundler (webpack 5, from scripts/pkg-tools) the way an application would: the package
// is installed (a symlink in node_modules, so its package.json `exports` are what resolves
// the import) and the bundle runs in headless Chromium, where it loads the wasm and calls the
// crypto API. The results are checked against the Node build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, ARTIFACTS } from './lib/paths.mjs';
import { pkg, unhex } from './lib/harness.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { launchChromium } from './lib/browser.mjs';

const webpack = createRequire(path.join(ROOT, 'scripts/pkg-tools/package.json'))('webpack');

const ENTRY = `import { generateSecretKey, publicKey, SigningContext, schnorrSign } from 'musig2-p2p/bundler';
const hex = (a) => Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
try {
  const sk = generateSecretKey();
  const pk = publicKey(sk);
  const ctx = new SigningContext('bip327', [pk], null);
  const msg = new Uint8Array(32).fill(7);
  window.bundleResult = { ok: true, sk: hex(sk), pk: hex(pk), aggregate: hex(ctx.aggregateKey()),
    sig: hex(schnorrSign('bip327', sk, msg, null)) };
} catch (e) {
  window.bundleResult = { ok: false, error: String(e && e.stack || e) };
}
`;

function bundle(config) {
  return new Promise((resolve, reject) => {
    webpack(config, (err, stats) => {
      if (err) return reject(err);
      if (stats.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
      resolve(stats);
    });
  });
}

test('webpack bundles musig2-p2p/bundler and the bundle signs in Chromium', async () => {
  const project = path.join(ARTIFACTS, 'bundler-app');
  rmSync(project, { recursive: true, force: true });
  mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  symlinkSync(path.join(ROOT, 'pkg'), path.join(project, 'node_modules', 'musig2-p2p'), 'dir');
  writeFileSync(path.join(project, 'entry.js'), ENTRY);
  writeFileSync(path.join(project, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="dist/main.js"></script>\n');
  const t0 = performance.now();
  await bundle({
    mode: 'production',
    context: project,
    entry: './entry.js',
    target: 'web',
    output: { path: path.join(project, 'dist'), publicPath: '/tests/e2e/artifacts/bundler-app/dist/' },
    experiments: { asyncWebAssembly: true },
    performance: false,
    resolve: { modules: [path.join(project, 'node_modules')] },
    resolveLoader: { modules: [path.join(ROOT, 'scripts/pkg-tools/node_modules')] },
  });
  const emitted = readdirSync(path.join(project, 'dist'));
  const wasm = emitted.filter((f) => f.endsWith('.wasm'));
  assert.equal(wasm.length, 1, `one wasm asset emitted: ${emitted.join(', ')}`);
  assert.equal(
    statSync(path.join(project, 'dist', wasm[0])).size,
    statSync(path.join(ROOT, 'pkg/bundler/musig2_p2p_bg.wasm')).size,
    'the emitted wasm is the package module',
  );
  console.log(`# webpack bundled the package in ${Math.round(performance.now() - t0)} ms`);

  const server = await serveStatic(ROOT);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/tests/e2e/artifacts/bundler-app/index.html`);
    await page.waitForFunction(() => window.bundleResult !== undefined, null, { timeout: 30000 });
    const r = await page.evaluate(() => window.bundleResult);
    assert.deepEqual(errors, []);
    assert.equal(r.ok, true, r.error);
    // Same key, same results from the Node build: the bundled wasm computes correctly.
    assert.equal(r.pk, Buffer.from(pkg.publicKey(unhex(r.sk))).toString('hex'));
    const ctx = new pkg.SigningContext('bip327', [unhex(r.pk)], null);
    assert.equal(r.aggregate, Buffer.from(ctx.aggregateKey()).toString('hex'));
    assert.equal(pkg.schnorrVerify('bip327', unhex(r.pk), new Uint8Array(32).fill(7), unhex(r.sig)), true);
  } finally {
    await browser.close();
    await server.close();
  }
});
