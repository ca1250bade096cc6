// The three browser engines wallets run in, behind one small page interface:
// Chromium through playwright-core, Firefox ESR through geckodriver and WebKitGTK through
// WebKitWebDriver (both W3C WebDriver, see webdriver.mjs). Every WebDriver page is its own
// driver + browser process, so pages run commands concurrently and keep separate storage.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { launchChromium } from './browser.mjs';
import { startDriver, WebDriverSession } from './webdriver.mjs';

/** Every engine the suite knows. */
export const ALL_ENGINES = ['chromium', 'firefox', 'webkit'];

/** The engines to test: $MUSIG_E2E_ENGINES (comma-separated) or all three. */
export const ENGINES = (process.env.MUSIG_E2E_ENGINES || ALL_ENGINES.join(','))
  .split(',').map((e) => e.trim()).filter(Boolean);
for (const e of ENGINES) if (!ALL_ENGINES.includes(e)) throw new Error(`unknown engine in MUSIG_E2E_ENGINES: ${e}`);

const FIREFOX_BIN = process.env.FIREFOX_BIN || '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** Whether `name` can use webrtc-direct at all (Debian's WebKitGTK has no RTCPeerConnection). */
export const HAS_WEBRTC = { chromium: true, firefox: true, webkit: false };

function geckodriverPath() {
  if (process.env.GECKODRIVER) return process.env.GECKODRIVER;
  try {
    return execFileSync('sh', ['-c', 'command -v geckodriver'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('geckodriver not found: run scripts/setup.sh and put its PATH line in effect (eval "$(scripts/setup.sh)")');
  }
}

let xvfb = null;
let xvfbChild = null;
/** A display for WebKitGTK: $DISPLAY, or one Xvfb started for this process (killed at exit). */
async function display() {
  if (process.env.DISPLAY) return process.env.DISPLAY;
  if (!xvfb) {
    xvfb = new Promise((resolve, reject) => {
      const child = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x800x24'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      xvfbChild = child;
      let out = '';
      child.stdio[3].on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(`:${out.trim()}`);
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
      child.unref();
      child.stdio[3].unref?.();
    });
    process.on('exit', () => xvfbChild?.kill());
  }
  return xvfb;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn(arg)` in `page` every 100 ms until its value is truthy; a promise is awaited
 * first (`page.evaluate` awaits it). Playwright's own `waitForFunction` and a synchronous
 * WebDriver `execute` test the returned promise object itself, which is always truthy, so
 * a predicate like `() => peer.reputation(id).then((r) => r.standing === 'graylisted')`
 * passed at once, before the condition held. Errors while the page (re)loads are retried;
 * on timeout the last one is reported.
 */
async function pollUntilTruthy(page, fn, arg, timeout) {
  const deadline = Date.now() + timeout;
  let lastError = null;
  for (;;) {
    try {
      if (await page.evaluate(fn, arg)) return;
      lastError = null;
    } catch (e) {
      lastError = e; // the page is (re)loading, or the predicate threw
    }
    if (Date.now() > deadline) {
      throw new Error(`[${page.label}] waitForFunction timed out after ${timeout} ms: ${fn}${lastError ? `; last error: ${lastError.message}` : ''}`);
    }
    await sleep(100);
  }
}

/** A page of any engine: the subset of playwright's Page the tests use, plus `expectReload`. */
class PlaywrightPage {
  constructor(page, engine, label) {
    this.page = page;
    this.engine = engine;
    this.label = label;
    page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
    if (process.env.DEBUG_PAGES) page.on('console', (m) => console.error(`[${label}] ${m.text()}`));
  }
  goto(url) { return this.page.goto(url); }
  evaluate(fn, arg) { return this.page.evaluate(fn, arg); }
  /** Resolves once `fn(arg)` is truthy in the page (see `pollUntilTruthy`: promises are awaited). */
  waitForFunction(fn, arg, { timeout = 30000 } = {}) { return pollUntilTruthy(this, fn, arg, timeout); }
  /** Call before the page reloads itself; `wait()` resolves once the new document loaded. */
  async expectReload() {
    const loaded = this.page.waitForEvent('load', { timeout: 60000 });
    loaded.catch(() => {});
    return { wait: () => loaded };
  }
  screenshot() { return this.page.screenshot(); }
  isClosed() { return this.page.isClosed(); }
  close() { return this.page.isClosed() ? undefined : this.page.close(); }
}

/** A page driven through W3C WebDriver: one driver process and one browser per page. */
class WebDriverPage {
  constructor(driver, session, engine, label) {
    this.driver = driver;
    this.session = session;
    this.engine = engine;
    this.label = label;
    this.closed = false;
  }
  goto(url) { return this.session.navigate(url); }

  /** Runs `fn(arg)` in the page and resolves to its (awaited, JSON-cloned) result. */
  async evaluate(fn, arg) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn.toString()})(arguments[0])).then(
        (v) => done({ ok: v === undefined ? null : v }),
        (e) => done({ err: String((e && e.message) || e), code: e && e.code }));`;
    let r;
    try {
      r = await this.session.executeAsync(script, [arg === undefined ? null : arg]);
    } catch (e) {
      // A script that never settles: say what the page reported (a wasm trap shows here).
      let errors = [];
      try { errors = await this.session.execute('return window.pageErrors || [];', []); } catch { /* page gone */ }
      e.message = `${e.message}; page errors: ${JSON.stringify(errors).slice(0, 2000)}`;
      throw e;
    }
    if (r && 'err' in r) {
      const err = new Error(`[${this.label}] ${r.err}`);
      err.code = r.code;
      throw err;
    }
    return r?.ok;
  }

  /** Polls `fn(arg)` in the page until it is truthy. */
  /** Resolves once `fn(arg)` is truthy in the page (see `pollUntilTruthy`: promises are awaited). */
  waitForFunction(fn, arg, { timeout = 30000 } = {}) { return pollUntilTruthy(this, fn, arg, timeout); }

  /** Call before the page reloads itself; `wait()` resolves once the new document loaded. */
  async expectReload() {
    const token = `${Date.now()}-${Math.random()}`;
    await this.session.execute('window.__e2eDocument = arguments[0];', [token]);
    const wait = async () => {
      const deadline = Date.now() + 60000;
      for (;;) {
        try {
          const state = await this.session.execute('return [window.__e2eDocument || null, document.readyState];');
          if (state[0] !== token && state[1] === 'complete') return;
        } catch { /* navigation in progress */ }
        if (Date.now() > deadline) throw new Error(`[${this.label}] the page did not reload`);
        await sleep(100);
      }
    };
    return { wait };
  }
  screenshot() { return this.session.screenshot(); }
  isClosed() { return this.closed; }
  async close() {
    if (this.closed) return;
    this.closed = true;
    try { await this.session.delete(); } catch { /* the browser may already be gone */ }
    await this.driver.stop();
  }
}

async function firefoxPage(label) {
  const driver = await startDriver(geckodriverPath(), ['--log', 'error']);
  try {
    const session = await WebDriverSession.create(driver.url, {
      browserName: 'firefox',
      'moz:firefoxOptions': {
        binary: FIREFOX_BIN,
        args: ['-headless'],
        prefs: {
          // The relay's webrtc-direct address is a plain host IP: no mDNS-obfuscated candidates.
          'media.peerconnection.ice.obfuscate_host_addresses': false,
          'browser.shell.checkDefaultBrowser': false,
          'datareporting.policy.dataSubmissionEnabled': false,
          'app.update.enabled': false,
        },
      },
    });
    return new WebDriverPage(driver, session, 'firefox', label);
  } catch (e) {
    await driver.stop();
    throw e;
  }
}

async function webkitPage(label) {
  if (!existsSync(WEBKIT_DRIVER)) throw new Error(`${WEBKIT_DRIVER} missing: run scripts/setup.sh`);
  const driver = await startDriver(WEBKIT_DRIVER, [], { DISPLAY: await display() });
  try {
    const session = await WebDriverSession.create(driver.url, {
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    });
    return new WebDriverPage(driver, session, 'webkit', label);
  } catch (e) {
    await driver.stop();
    throw e;
  }
}

/**
 * Starts `engine`: resolves to { engine, newPage(label), version(), close() }. For Chromium
 * this is one headless browser with a tab per page; for the others each page is a browser.
 */
export async function launchEngine(engine) {
  if (engine === 'chromium') {
    const browser = await launchChromium();
    return {
      engine,
      version: async () => browser.version(),
      async newPage(label) { return new PlaywrightPage(await browser.newPage(), engine, label); },
      close: () => browser.close(),
    };
  }
  const open = engine === 'firefox' ? firefoxPage : webkitPage;
  const pages = new Set();
  return {
    engine,
    async version() {
      const p = await open('version');
      try { return p.session.capabilities.browserVersion; } finally { await p.close(); }
    },
    async newPage(label) {
      const p = await open(label);
      pages.add(p);
      return p;
    },
    async close() {
      await Promise.all([...pages].map((p) => p.close()));
      pages.clear();
    },
  };
}

/**
 * Opens a test page at `url` in `browser` and waits until it set `window.peerReady`. A page
 * that fails to start or load (a WebDriver browser that hangs while starting on a loaded
 * machine) is closed and opened once more with a fresh browser; a second failure is reported.
 */
export async function openEnginePage(browser, url, label, attempts = 2) {
  for (let attempt = 1; ; attempt++) {
    let page = null;
    try {
      page = await browser.newPage(label);
      await page.goto(url);
      await page.waitForFunction(() => window.peerReady === true, null, { timeout: 60000 });
      return page;
    } catch (e) {
      await page?.close();
      if (attempt >= attempts) throw e;
      console.error(`[${label}] page did not load (${e.message}); retrying with a fresh ${browser.engine} page`);
    }
  }
}
