// Headless Chromium through playwright-core, using Debian's chromium (never a download).
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchChromium() {
  // MUSIG_E2E_CHROMIUM_FLAGS: extra flags, space-separated (e.g. a field trial).
  const extra = (process.env.MUSIG_E2E_CHROMIUM_FLAGS || '').split(' ').filter(Boolean);
  return chromium.launch({ executablePath: process.env.CHROME_BIN || '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extra] });
}

/** Opens a page at `url` and forwards its console to the test log when DEBUG_PAGES is set. */
export async function openPage(browser, url, label) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  if (process.env.DEBUG_PAGES) page.on('console', (m) => console.error(`[${label}] ${m.text()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.peerReady === true, null, { timeout: 30000 });
  return page;
}
