// The demo wallet page (www/), served as `bash scripts/demo.sh` serves it, with the relay as a
// separate process: three tabs of headless Chromium complete a 3-of-3 session through the UI
// (connect, fill the form, create; the others join from their invitation list), and every tab
// shows the same final signature, verified. A screenshot is saved to
// tests/e2e/artifacts/demo-session.png (and to docs/ when UPDATE_DOCS_SCREENSHOT=1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT, ARTIFACTS } from './lib/paths.mjs';
import { startDemo } from '../../scripts/demo.mjs';
import { launchChromium } from './lib/browser.mjs';

const m = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/musig2_p2p.js'));
const unhex = (s) => Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16));
const RELAY_HOST = process.env.MUSIG_RELAY_HOST || '127.0.0.1';
const SCREENSHOT = path.join(ARTIFACTS, 'demo-session.png');

let demo, browser;

before(async () => {
  demo = await startDemo({ host: RELAY_HOST });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Opens `n` tabs of the demo page in one browser context (so they share BroadcastChannel). */
async function openTabs(context, n, label) {
  const tabs = [];
  for (let i = 0; i < n; i++) {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${label}-${i}] page error: ${e.message}`));
    if (process.env.DEBUG_PAGES) page.on('console', (msg) => console.error(`[${label}-${i}] ${msg.text()}`));
    await page.goto(demo.pageUrl);
    await page.waitForFunction(() => window.demoReady === true, null, { timeout: 30000 });
    tabs.push(page);
  }
  return tabs;
}

/** Connects every tab with `scheme` through the form; returns their public keys (hex). */
async function connectAll(tabs, scheme) {
  for (const tab of tabs) {
    await tab.selectOption('#scheme', scheme);
    await tab.click('#connect');
  }
  const keys = [];
  for (const tab of tabs) {
    await tab.waitForSelector('#status.ok', { timeout: 20000 });
    keys.push((await tab.textContent('#public-key')).trim());
  }
  return keys;
}

/**
 * Tab 0 creates a session with the others' keys through the form, the others click Join;
 * resolves to { sessionId, signature, elapsed } once every tab shows the verified signature.
 */
async function signThroughUi(tabs, keys, { message, kind }) {
  const [creator, ...others] = tabs;
  await creator.fill('#signers', keys.slice(1).join('\n'));
  await creator.fill('#message', message);
  await creator.selectOption('#message-kind', kind);
  const t0 = Date.now();
  await creator.click('#create');
  await creator.waitForSelector('#create-result.ok', { timeout: 15000 });
  const sessionId = await creator.getAttribute('#sessions .session', 'data-session-id');
  assert.match(sessionId, /^[0-9a-f]{64}$/);
  for (const tab of others) {
    const join = `#invitations li[data-session-id="${sessionId}"] button.join`;
    await tab.waitForSelector(join, { timeout: 15000 });
    await tab.click(join);
  }
  const card = `.session[data-session-id="${sessionId}"]`;
  const signatures = [];
  for (const tab of tabs) {
    await tab.waitForSelector(`${card} .verified.ok`, { timeout: 30000 });
    assert.match(await tab.textContent(`${card} .verified`), /✓ valid/);
    assert.equal((await tab.textContent(`${card} .state`)).trim(), 'signed');
    signatures.push((await tab.textContent(`${card} .signature`)).trim());
    // The live progress was shown: a coordinator, the rounds in order, the signature.
    const timeline = await tab.$$eval(`${card} .timeline li`, (lis) => lis.map((li) => li.textContent));
    const at = (text) => timeline.findIndex((l) => l.includes(text));
    assert.ok(at('coordinator elected') >= 0, `coordinator shown: ${timeline.join(' | ')}`);
    assert.ok(at('phase: nonceCollection') < at('phase: partialSigCollection'), `rounds in order: ${timeline.join(' | ')}`);
    assert.ok(at('signature ready') > at('phase: partialSigCollection'), `signature after the rounds: ${timeline.join(' | ')}`);
  }
  const elapsed = Date.now() - t0;
  assert.equal(new Set(signatures).size, 1, 'every tab shows the same signature');
  assert.match(signatures[0], /^[0-9a-f]{128}$/);
  return { sessionId, signature: signatures[0], elapsed };
}

test('three tabs of the demo page sign 3-of-3 with BIP-327 through the UI', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const tabs = await openTabs(context, 3, 'bip327');
    const keys = await connectAll(tabs, 'bip327');
    assert.equal(new Set(keys).size, 3);
    for (const k of keys) assert.match(k, /^0[23][0-9a-f]{64}$/);
    const text = 'pay 1 BTC to Bob';
    const { signature, elapsed } = await signThroughUi(tabs, keys, { message: text, kind: 'text' });
    console.log(`# demo page, BIP-327 3-of-3 through the UI (create click to verified on every tab): ${elapsed} ms`);
    // The page signed SHA-256(text); check that independently in Node.
    const digest = createHash('sha256').update(text).digest();
    const ctx = new m.SigningContext('bip327', keys.map(unhex), null);
    assert.equal(ctx.verify(digest, unhex(signature)), true, 'the shown signature verifies in Node');
    mkdirSync(ARTIFACTS, { recursive: true });
    await tabs[0].screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 10000, 'screenshot written');
    console.log(`# screenshot: ${path.relative(ROOT, SCREENSHOT)}`);
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(SCREENSHOT, path.join(ROOT, 'docs', 'demo-session.png'));
  } finally {
    await context.close();
  }
});

test('three tabs of the demo page sign 3-of-3 with Lotus and a hex message through the UI', async () => {
  const context = await browser.newContext();
  try {
    const tabs = await openTabs(context, 3, 'lotus');
    const keys = await connectAll(tabs, 'lotus');
    const message = 'a1'.repeat(32);
    const { signature, elapsed } = await signThroughUi(tabs, keys, { message, kind: 'hex' });
    console.log(`# demo page, Lotus 3-of-3 through the UI: ${elapsed} ms`);
    const ctx = new m.SigningContext('lotus', keys.map(unhex), null);
    assert.equal(ctx.verify(unhex(message), unhex(signature)), true, 'the shown signature verifies in Node');
  } finally {
    await context.close();
  }
});

test('declining an invitation in the demo page aborts the session on both tabs', async () => {
  const context = await browser.newContext();
  try {
    const tabs = await openTabs(context, 2, 'decline');
    const keys = await connectAll(tabs, 'bip327');
    await tabs[0].fill('#signers', keys[1]);
    await tabs[0].click('#create');
    await tabs[0].waitForSelector('#create-result.ok', { timeout: 15000 });
    const sessionId = await tabs[0].getAttribute('#sessions .session', 'data-session-id');
    const decline = `#invitations li[data-session-id="${sessionId}"] button.decline`;
    await tabs[1].waitForSelector(decline, { timeout: 15000 });
    await tabs[1].click(decline);
    const card = `.session[data-session-id="${sessionId}"]`;
    for (const tab of tabs) {
      await tab.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'aborted', `${card} .state`, { timeout: 15000 });
      assert.equal(await tab.$(`${card} .result:not([hidden])`), null, 'no signature shown');
    }
    const timeline = await tabs[0].$$eval(`${card} .timeline li`, (lis) => lis.map((li) => li.textContent).join(' | '));
    assert.match(timeline, /aborted by .*: declined/);
  } finally {
    await context.close();
  }
});
