// The page layer's waitForFunction awaits a predicate that returns a promise. Playwright's
// own waitForFunction (and a synchronous WebDriver `execute`) test the promise object, which
// is always truthy: that let tests/e2e/reputation_reload.test.mjs read a peer's reputation
// before any penalty ("graylisted at score 0"). No package build needed: a blank page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchEngine } from './lib/engines.mjs';

test('waitForFunction waits for a promise-returning predicate to resolve truthy (chromium)', async () => {
  const browser = await launchEngine('chromium');
  try {
    const page = await browser.newPage('wait');
    await page.goto('about:blank');
    const arm = () => page.evaluate(() => {
      window.flag = false;
      setTimeout(() => { window.flag = true; }, 800);
    });
    const predicate = () => new Promise((resolve) => setTimeout(() => resolve(window.flag), 10));

    // The cause of the flake: playwright's waitForFunction returns at once, flag still false.
    await arm();
    await page.page.waitForFunction(predicate, null, { timeout: 5000 });
    assert.equal(await page.evaluate(() => window.flag), false, 'playwright did not await the promise');

    // The harness's waitForFunction waits until the promise resolves to true.
    await new Promise((r) => setTimeout(r, 1000));
    await arm();
    const t0 = Date.now();
    await page.waitForFunction(predicate, null, { timeout: 5000 });
    assert.equal(await page.evaluate(() => window.flag), true, 'waited for the condition');
    assert.ok(Date.now() - t0 >= 500, `waited ${Date.now() - t0} ms`);

    // A predicate that never holds times out (with the bound in the message).
    await assert.rejects(page.waitForFunction(() => Promise.resolve(false), null, { timeout: 300 }), /timed out after 300 ms/);
  } finally {
    await browser.close();
  }
});
