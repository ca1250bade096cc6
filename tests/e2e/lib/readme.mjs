// Code examples of a Markdown file, and the ways the README tests run them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.mjs';

/** The fenced code blocks of `markdown`: [{ lang, info, code, line }]. */
export function codeBlocks(markdown) {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(\S*)\s*(.*)$/);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i += 1; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    blocks.push({ lang: open[1], info: open[2].trim(), code: body.join('\n') + '\n', line: start + 1 });
  }
  return blocks;
}

/** The line every runnable example declares the relay address on. */
export const RELAY_LINE = /^const RELAY = '[^']*';$/m;

/** `code` with the relay placeholder replaced by a real address. */
export function withRelay(code, relayAddr) {
  return code.replace(RELAY_LINE, `const RELAY = ${JSON.stringify(relayAddr)};`);
}

/** The package's manifest (pkg/package.json). */
export function packageJson() {
  return JSON.parse(readFileSync(path.join(ROOT, 'pkg', 'package.json'), 'utf8'));
}

/**
 * Follows `exports["."]` of the manifest through the given condition names (in the manifest's
 * own order, as Node and bundlers do) down to a file path.
 */
export function resolveExport(manifest, conditions, subpath = '.') {
  let entry = manifest.exports[subpath];
  while (entry && typeof entry === 'object') {
    const key = Object.keys(entry).find((k) => k === 'default' || conditions.includes(k));
    if (!key) return null;
    entry = entry[key];
  }
  return entry ?? null;
}

/**
 * An HTML page whose import map maps the package name to `entryUrl` and which runs `code` as a
 * module, recording `window.exampleResult` = { ok, error?, code?, logs }.
 */
export function examplePage(packageName, entryUrl, code) {
  const importMap = JSON.stringify({ imports: { [packageName]: entryUrl } });
  const source = JSON.stringify(code).replace(/</g, '\\u003c');
  return `<!doctype html><meta charset="utf-8"><title>README example</title>
<script type="importmap">${importMap}</script>
<script type="module">
  const logs = [];
  const log = console.log.bind(console);
  console.log = (...a) => { logs.push(a.join(' ')); log(...a); };
  const url = URL.createObjectURL(new Blob([${source}], { type: 'text/javascript' }));
  try {
    await import(url);
    window.exampleResult = { ok: true, logs };
  } catch (e) {
    window.exampleResult = { ok: false, error: String(e && (e.stack || e)), code: e && e.code, logs };
  }
</script>`;
}
