// The npm package's README: every ```js runnable block runs to completion in Node (against
// the installed-looking package, through its `exports` map) and in headless Chromium (the web
// build, through an import map), with a real relay process. The examples check their own
// results (signatures verify, error codes match) and throw otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, ARTIFACTS } from './lib/paths.mjs';
import { codeBlocks, withRelay, RELAY_LINE, packageJson, resolveExport, examplePage } from './lib/readme.mjs';
import { startRelay } from '../../scripts/lib/relay.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { launchChromium } from './lib/browser.mjs';

const RELAY_HOST = process.env.MUSIG_RELAY_HOST || '127.0.0.1';
const README = readFileSync(path.join(ROOT, 'pkg', 'README.md'), 'utf8');
const blocks = codeBlocks(README);
const runnable = blocks.filter((b) => b.lang === 'js' && b.info.split(/\s+/).includes('runnable'));
const manifest = packageJson();
// Node before 22 has WebSocket only behind a flag.
const NODE_FLAGS = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : [];

let relay, server, browser, project;

before(async () => {
  relay = await startRelay({ host: RELAY_HOST });
  server = await serveStatic(ROOT);
  browser = await launchChromium();
  // A project that has the package installed: node_modules/<name> -> pkg/.
  project = mkdtempSync(path.join(tmpdir(), 'musig2-readme-'));
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(path.join(ROOT, 'pkg'), path.join(project, 'node_modules', manifest.name), 'dir');
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }));
});

after(async () => {
  await browser?.close();
  await server?.close();
  await relay?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Runs `file` with Node in the project; resolves to { code, stdout, stderr, ms }. */
function runNode(file, timeoutMs = 30000) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [...NODE_FLAGS, file], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { stderr += `\n(killed after ${timeoutMs} ms)`; child.kill('SIGKILL'); }, timeoutMs);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }); });
  });
}

test('the README has runnable examples, each declaring the relay address once if it needs one', () => {
  assert.ok(runnable.length >= 3, `found ${runnable.length} runnable examples`);
  const usesClient = runnable.filter((b) => b.code.includes('MuSigClient'));
  assert.ok(usesClient.length >= 2, 'examples with MuSigClient');
  for (const b of usesClient) assert.match(b.code, RELAY_LINE, `example at line ${b.line} declares RELAY`);
  assert.ok(runnable.some((b) => b.code.includes('NONCE_ALREADY_USED')), 'an example shows the single-use nonce');
  assert.ok(runnable.some((b) => b.code.includes('.signature(') && b.code.includes('.verify(')), 'an example verifies a session signature');
});

test('every ```js block of the README is valid module syntax', () => {
  for (const b of blocks.filter((x) => x.lang === 'js')) {
    const file = path.join(project, `syntax-${b.line}.mjs`);
    writeFileSync(file, b.code);
    const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `README line ${b.line}: ${r.stderr}`);
  }
});

test('the package manifest resolves to built files for browsers and Node', () => {
  assert.equal(manifest.name, 'musig2-p2p');
  assert.equal(manifest.version, '0.1.0');
  const targets = [
    resolveExport(manifest, ['browser', 'import']),
    resolveExport(manifest, ['node', 'import']),
    resolveExport(manifest, ['node', 'require']),
    resolveExport(manifest, ['import']),
    resolveExport(manifest, ['types', 'browser', 'import']),
    resolveExport(manifest, ['types', 'node', 'import']),
  ];
  assert.deepEqual(targets.slice(0, 4), ['./web/musig2_p2p.js', './node.mjs', './node/musig2_p2p.js', './web/musig2_p2p.js']);
  for (const t of [...targets, manifest.types, manifest.main, manifest.module]) {
    assert.ok(existsSync(path.join(ROOT, 'pkg', t)), `${t} exists`);
  }
  for (const f of manifest.files) assert.ok(existsSync(path.join(ROOT, 'pkg', f)), `files entry ${f} exists`);
  // What `npm publish` would ship: every file the exports point to, nothing else of note.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: path.join(ROOT, 'pkg'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const packed = JSON.parse(r.stdout)[0].files.map((f) => f.path);
  const bundler = resolveExport(manifest, ['import'], './bundler');
  assert.equal(bundler, './bundler/musig2_p2p.js');
  for (const t of [...targets, bundler, manifest.types, manifest.main, 'README.md', 'package.json', 'web/musig2_p2p_bg.wasm', 'node/musig2_p2p_bg.wasm', 'bundler/musig2_p2p_bg.wasm']) {
    assert.ok(packed.includes(t.replace(/^\.\//, '')), `${t} is in the package (packed: ${packed.join(', ')})`);
  }
  // Every relative import of a shipped JS file (wasm-bindgen's glue, its inline-JS snippets,
  // the wasm module of the bundler build) is shipped too.
  const imported = [];
  for (const file of packed.filter((f) => /\.m?js$/.test(f))) {
    const source = readFileSync(path.join(ROOT, 'pkg', file), 'utf8');
    const specs = /(?:from\s*|import\s*\(?\s*|require\(\s*(?:String\.raw)?)\s*['"`](\.{1,2}\/[^'"`]+)['"`]/g;
    for (const [, spec] of source.matchAll(specs)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      assert.ok(packed.includes(target), `${file} imports ${spec}, which is not in the package`);
      imported.push(target);
    }
  }
  for (const dir of ['web', 'node', 'bundler']) {
    assert.ok(imported.some((t) => t.startsWith(`${dir}/snippets/`)), `the ${dir} glue's snippet import was checked`);
  }
  const stray = packed.filter((f) => !/^(web|node|bundler)\//.test(f) && !['README.md', 'package.json', 'node.mjs', 'node.d.mts'].includes(f));
  assert.deepEqual(stray, [], 'only the package files are shipped');
});

// A TypeScript consumer of the installed package: the `types` of every export condition resolve
// and type the API precisely (the @ts-expect-error lines must be errors).
const TS_CONSUMER = `import init, { MuSigClient, SigningContext, generateSecretKey, publicKey, type MuSigEvent, type ErrorCode } from 'musig2-p2p';
await init();
const sk: Uint8Array = generateSecretKey();
const ctx = new SigningContext('bip327', [publicKey(sk)], null);
const ok: boolean = ctx.verify(new Uint8Array(32), new Uint8Array(64));
const client = new MuSigClient({ relays: ['/ip4/127.0.0.1/tcp/1/ws/p2p/x'], scheme: 'lotus' });
const off: () => void = client.on('signatureReady', (e: MuSigEvent) => {
  if (e.type === 'signatureReady') { const sig: Uint8Array = e.signature; void sig; }
});
const id: string = await client.createSession({ signers: [client.publicKey], message: new Uint8Array(32) });
const sig: Uint8Array = await client.signature(id);
const code: ErrorCode = 'NONCE_ALREADY_USED';
// @ts-expect-error: an unknown scheme
new SigningContext('bip328', [], null);
// @ts-expect-error: an unknown event
client.on('nope', () => {});
void [ok, off, sig, code];
`;

test('the package types resolve for TypeScript consumers (Node16, NodeNext, bundler, bundler + browser)', () => {
  const tsc = path.join(ROOT, 'tests', 'e2e', 'node_modules', '.bin', 'tsc');
  const file = path.join(project, 'consumer.mts');
  writeFileSync(file, TS_CONSUMER);
  // wasm-bindgen's declarations use Symbol.dispose: consumers need the esnext.disposable lib.
  const common = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,esnext.disposable,dom'];
  const modes = {
    node16: ['--module', 'node16', '--moduleResolution', 'node16'],
    nodenext: ['--module', 'nodenext', '--moduleResolution', 'nodenext'],
    bundler: ['--module', 'esnext', '--moduleResolution', 'bundler'],
    'bundler+browser': ['--module', 'esnext', '--moduleResolution', 'bundler', '--customConditions', 'browser'],
  };
  for (const [mode, flags] of Object.entries(modes)) {
    const r = spawnSync(tsc, [...common, ...flags, file], { cwd: project, encoding: 'utf8' });
    assert.equal(r.status, 0, `tsc (${mode}) failed:\n${r.stdout}${r.stderr}`);
  }
});

for (const block of runnable) {
  const name = `README example at line ${block.line}`;

  test(`${name} runs in Node`, async () => {
    const file = path.join(project, `example-${block.line}.mjs`);
    writeFileSync(file, withRelay(block.code, relay.ws));
    const r = await runNode(file);
    console.log(`# ${name} in Node: ${r.ms} ms`);
    assert.equal(r.code, 0, `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  });

  test(`${name} runs in headless Chromium`, async () => {
    const entry = resolveExport(manifest, ['browser', 'import']);
    const html = examplePage(manifest.name, `/pkg/${entry.replace(/^\.\//, '')}`, withRelay(block.code, relay.ws));
    // Written below the served root (not injected with page.route: Chromium's local-network
    // checks block a WebSocket to the loopback relay from a page that came from nowhere).
    mkdirSync(path.join(ARTIFACTS, 'readme'), { recursive: true });
    writeFileSync(path.join(ARTIFACTS, 'readme', `example-${block.line}.html`), html);
    const url = `${server.url}/tests/e2e/artifacts/readme/example-${block.line}.html`;
    const page = await browser.newPage();
    try {
      const t0 = Date.now();
      await page.goto(url);
      await page.waitForFunction(() => window.exampleResult !== undefined, null, { timeout: 30000 });
      const result = await page.evaluate(() => window.exampleResult);
      console.log(`# ${name} in Chromium: ${Date.now() - t0} ms`);
      assert.equal(result.ok, true, `${result.code ?? ''} ${result.error}\nlogs:\n${result.logs.join('\n')}`);
    } finally {
      await page.close();
    }
  });
}
