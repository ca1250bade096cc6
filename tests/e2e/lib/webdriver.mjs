// A minimal W3C WebDriver client (fetch only, no dependency): starts a driver server
// (geckodriver, WebKitWebDriver) on a free port and speaks the few commands the tests need.
import { spawn } from 'node:child_process';
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (the OS picks it; the driver binds it right after). */
async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns `bin` with `args` plus `--port=N` and waits until its /status answers.
 * Resolves to { url, stop() }; `env` extends the driver's environment (e.g. DISPLAY).
 */
export async function startDriver(bin, args = [], env = {}, timeoutMs = 20000) {
  const port = await freePort();
  // Its own process group, so stopping it also ends a browser it left behind.
  const child = spawn(bin, [...args, `--port=${port}`], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env }, detached: true });
  const signal = (sig) => { try { process.kill(-child.pid, sig); } catch { /* already gone */ } };
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/status`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      signal('SIGKILL');
      throw new Error(`${bin} did not answer on ${url} within ${timeoutMs} ms: ${stderr}`);
    }
    await sleep(50);
  }
  return {
    url,
    stderr: () => stderr,
    async stop() {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      signal('SIGKILL'); // whatever of the group is still running
    },
  };
}

/** An error the driver reported (its W3C `error` code and message). */
export class WebDriverError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

/** One WebDriver session (one browser window). */
export class WebDriverSession {
  constructor(driverUrl, id, capabilities) {
    this.base = `${driverUrl}/session/${id}`;
    this.id = id;
    /** The capabilities the driver returned (browserName, browserVersion, ...). */
    this.capabilities = capabilities;
  }

  /** Opens a session with `alwaysMatch` capabilities and sets the script timeout. */
  static async create(driverUrl, alwaysMatch, scriptTimeoutMs = 120000) {
    // A browser that hangs while starting must not hold the test for undici's 5 minutes.
    const value = await command('POST', `${driverUrl}/session`, { capabilities: { alwaysMatch } }, AbortSignal.timeout(60000));
    const session = new WebDriverSession(driverUrl, value.sessionId, value.capabilities);
    await session.cmd('POST', '/timeouts', { script: scriptTimeoutMs, pageLoad: 45000 });
    return session;
  }

  /** Sends one command below the session's URL; resolves to the response's `value`. */
  cmd(method, path, body) {
    return command(method, `${this.base}${path}`, body);
  }

  navigate(url) {
    return this.cmd('POST', '/url', { url });
  }

  /** Runs `script` (a function body) synchronously in the page with `args`. */
  execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Runs `script` in the page; it finishes by calling its last argument. */
  executeAsync(script, args = []) {
    return this.cmd('POST', '/execute/async', { script, args });
  }

  /** A PNG screenshot of the viewport. */
  async screenshot() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  /** Ends the session (closes the browser); gives up after 10 s on a hung browser. */
  async delete() {
    await command('DELETE', this.base, undefined, AbortSignal.timeout(10000));
  }
}

async function command(method, url, body, signal) {
  const res = await fetch(url, {
    method,
    signal,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError('invalid response', `${method} ${url} -> ${res.status}: ${text.slice(0, 300)}`);
  }
  if (!res.ok || (json.value && json.value.error)) {
    throw new WebDriverError(json.value?.error || res.status, json.value?.message || text.slice(0, 300));
  }
  return json.value;
}
