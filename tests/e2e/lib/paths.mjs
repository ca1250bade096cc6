// Paths of the repository and of the build outputs the tests use.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TARGET_DIR = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
export const RELAY_BIN = process.env.MUSIG2_RELAY_BIN || path.join(TARGET_DIR, 'debug', 'musig2-relay');
export const ARTIFACTS = path.join(ROOT, 'tests', 'e2e', 'artifacts');
