// Prints the raw, gzip -9 and brotli (quality 11) sizes of files, in bytes: the numbers in
// docs/benchmarks.md. Usage: node scripts/wasm-size.mjs FILE...
import { readFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length;
  console.log(`${file}: raw ${bytes.length} B, gzip -9 ${gzip} B, brotli-11 ${brotli} B`);
}
