// The demo wallet page (www/), served as `bash scripts/demo.sh` serves it, with its two peered
// relays as separate processes: three tabs of headless Chromium complete a 3-of-3 session
// through the UI (connect, fill the form, create; the others join from their invitation list),
// and every tab shows the same final signature, verified; two tabs that picked different
// relays co-sign through the federation. A screenshot is saved to
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

/**
 * Connects every tab with `scheme` through the form, tab i to the relay choice `relays[i]`
 * (default: the page's default, the first relay) and to that relay only when `onlyRelay`;
 * returns their public keys (hex).
 */
async function connectAll(tabs, scheme, relays = [], { onlyRelay = false } = {}) {
  for (const [i, tab] of tabs.entries()) {
    await tab.selectOption('#scheme', scheme);
    if (relays[i] !== undefined) await tab.selectOption('#relay-choice', String(relays[i]));
    if (onlyRelay) await tab.check('#only-relay');
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
async function signThroughUi(tabs, keys, { message, kind, taproot = null }) {
  const [creator, ...others] = tabs;
  await creator.fill('#signers', keys.slice(1).join('\n'));
  await creator.fill('#message', message);
  await creator.selectOption('#message-kind', kind);
  if (taproot) {
    await creator.check('#taproot');
    await creator.fill('#merkle-root', taproot.merkleRoot ?? '');
  }
  const t0 = Date.now();
  await creator.click('#create');
  await creator.waitForSelector('#create-result.ok', { timeout: 15000 });
  const sessionId = await creator.getAttribute('#sessions .session', 'data-session-id');
  assert.match(sessionId, /^[0-9a-f]{64}$/);
  for (const tab of others) {
    const join = `#invitations li[data-session-id="${sessionId}"] button.join`;
    await tab.waitForSelector(join, { timeout: 15000 });
    const invited = await tab.textContent(`#invitations li[data-session-id="${sessionId}"]`);
    assert.equal(invited.includes('Taproot'), Boolean(taproot), `the invitation says whether it is Taproot: ${invited}`);
    await tab.click(join);
  }
  const card = `.session[data-session-id="${sessionId}"]`;
  const signatures = [];
  const keysShown = [];
  const taprootShown = [];
  for (const tab of tabs) {
    await tab.waitForSelector(`${card} .verified.ok`, { timeout: 30000 });
    assert.match(await tab.textContent(`${card} .verified`), /✓ valid/);
    assert.equal((await tab.textContent(`${card} .state`)).trim(), 'signed');
    signatures.push((await tab.textContent(`${card} .signature`)).trim());
    keysShown.push((await tab.textContent(`${card} .aggregate-key`)).trim());
    taprootShown.push((await tab.textContent(`${card} .taproot`)).trim());
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
  assert.equal(new Set(keysShown).size, 1, 'every tab shows the same key');
  assert.equal(new Set(taprootShown).size, 1, `every tab describes the tweak alike: ${taprootShown.join(' | ')}`);
  return { sessionId, signature: signatures[0], elapsed, keyShown: keysShown[0], taprootShown: taprootShown[0] };
}

test('three tabs of the demo page sign 3-of-3 with BIP-327 through the UI', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const tabs = await openTabs(context, 3, 'bip327');
    const keys = await connectAll(tabs, 'bip327');
    assert.equal(new Set(keys).size, 3);
    for (const k of keys) assert.match(k, /^0[23][0-9a-f]{64}$/);
    const text = 'pay 1 BTC to Bob';
    const { signature, elapsed, keyShown, taprootShown } = await signThroughUi(tabs, keys, { message: text, kind: 'text' });
    console.log(`# demo page, BIP-327 3-of-3 through the UI (create click to verified on every tab): ${elapsed} ms`);
    // The page signed SHA-256(text); check that independently in Node.
    const digest = createHash('sha256').update(text).digest();
    const ctx = new m.SigningContext('bip327', keys.map(unhex), null);
    assert.match(taprootShown, /^no/, 'shown as untweaked');
    assert.equal(keyShown, Buffer.from(ctx.aggregateKey()).toString('hex'), 'the aggregate key is shown');
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

test('two tabs of the demo page sign for a Taproot output key (with a merkle root) through the UI', async () => {
  const context = await browser.newContext();
  try {
    const tabs = await openTabs(context, 2, 'taproot');
    const keys = await connectAll(tabs, 'bip327');
    // A malformed merkle root is refused by the form, and no session is created.
    await tabs[0].fill('#signers', keys[1]);
    await tabs[0].check('#taproot');
    await tabs[0].fill('#merkle-root', 'abcd');
    await tabs[0].click('#create');
    await tabs[0].waitForSelector('#create-result.err', { timeout: 5000 });
    assert.match(await tabs[0].textContent('#create-result'), /merkle root is 32 bytes/);
    assert.equal(await tabs[0].$('#sessions .session'), null, 'no session was created');
    const text = 'spend the taproot output';
    const merkleRoot = '5b'.repeat(32);
    const r = await signThroughUi(tabs, keys, { message: text, kind: 'text', taproot: { merkleRoot } });
    console.log(`# demo page, BIP-327 2-of-2 Taproot (merkle root) through the UI: ${r.elapsed} ms`);
    assert.match(r.taprootShown, new RegExp(`merkle root ${merkleRoot}`));
    // Checked in Node: the shown key is the BIP-341 output key of the signers' aggregate key
    // with this merkle root, the signature verifies under it and not under the untweaked key.
    const digest = createHash('sha256').update(text).digest();
    const tweaked = new m.SigningContext('bip327', keys.map(unhex), { merkleRoot: unhex(merkleRoot) });
    const plain = new m.SigningContext('bip327', keys.map(unhex), null);
    assert.equal(r.keyShown, Buffer.from(tweaked.aggregateKey()).toString('hex'), 'the output key is shown');
    assert.equal(tweaked.verify(digest, unhex(r.signature)), true, 'verifies under the output key');
    assert.equal(plain.verify(digest, unhex(r.signature)), false, 'does not verify under the untweaked key');
  } finally {
    await context.close();
  }
});

test('two tabs of the demo page on different relays sign 2-of-2 through the peered relays', async () => {
  const context = await browser.newContext();
  try {
    const tabs = await openTabs(context, 2, 'relays');
    // The select box offers both relays, the first by default.
    const options = await tabs[0].$$eval('#relay-choice option', (os) => os.map((o) => o.textContent));
    assert.equal(options.length, 2, `two relay choices: ${options.join(' | ')}`);
    assert.equal(await tabs[0].inputValue('#relay-choice'), '0');
    // Each tab keeps to its relay (no reservation on the one it learns), so the session's
    // messages cross from one relay to the other.
    const keys = await connectAll(tabs, 'bip327', [0, 1], { onlyRelay: true });
    for (const [i, tab] of tabs.entries()) {
      const [own, other] = [demo.relays[i], demo.relays[1 - i]];
      assert.equal((await tab.textContent('#relay')).trim(), own.ws, `tab ${i} uses relay ${i}`);
      const circuit = await tab.textContent('#circuit');
      assert.ok(circuit.includes(`/p2p/${own.peerId}/p2p-circuit`) && !circuit.includes(other.peerId), `tab ${i} is reachable through its relay only: ${circuit}`);
    }
    const text = 'co-signed across two relays';
    const { signature, elapsed } = await signThroughUi(tabs, keys, { message: text, kind: 'text' });
    console.log(`# demo page, BIP-327 2-of-2 with the tabs on different relays, through the UI: ${elapsed} ms`);
    const digest = createHash('sha256').update(text).digest();
    const ctx = new m.SigningContext('bip327', keys.map(unhex), null);
    assert.equal(ctx.verify(digest, unhex(signature)), true, 'the shown signature verifies in Node');
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
