// The package's TypeScript declarations: `tsc --noEmit` over a usage file whose correct
// lines must compile and whose `@ts-expect-error` lines must be rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

test('TypeScript declarations are precise (tsc --noEmit)', () => {
  const tsc = path.join(here, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-p', path.join(here, 'types', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});
