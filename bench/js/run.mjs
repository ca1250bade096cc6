// Side-by-side MuSig2 benchmark in ONE Node process (issue 3, item 7):
//   ours        musig2-p2p's npm package (pkg/node), through its JS API (SigningContext)
//   ours-core   musig2-crypto alone in wasm (bench/crypto-only-wasm): one call per round
//   ours-core-O3  the same built with opt-level 3 instead of the package's "z"
//   scure       @scure/btc-signer's musig2 module (pure JS, @noble/curves)
//   musig2      the crates.io `musig2` crate, k256 backend as it ships (no precomputed tables)
//   musig2+tbl  the same with k256's precomputed tables (as musig2-crypto builds k256)
// Cases: KeyAgg of 3/10/100 keys; a full 3-of-3 and 10-of-10 BIP-327 round (every signer's
// nonce generation, nonce aggregation, every partial signature, verification of each,
// aggregation, final verification). Every library's results are checked (see `check*`).
//
// Usage: node --expose-gc run.mjs   (bench/run.sh builds everything first)
// Environment: BENCH_RUNS (measured runs per case and library, default 11), BENCH_RUN_MS
// (target duration of one run, default 500), BENCH_WARMUP_MS (default 500), BENCH_JSON
// (write the results there), and BENCH_OURS, BENCH_CORE, BENCH_CORE_O3, BENCH_MUSIG2,
// BENCH_MUSIG2_TABLES (paths of the wasm-bindgen `--target nodejs` JS files).

import { createRequire } from 'node:module';
import { createHash, getRandomValues } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants as zc } from 'node:zlib';
import os from 'node:os';
import assert from 'node:assert/strict';

import * as scure from '@scure/btc-signer/musig2.js';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const env = process.env;
const RUNS = Number(env.BENCH_RUNS ?? 11);
const RUN_MS = Number(env.BENCH_RUN_MS ?? 500);
const WARMUP_MS = Number(env.BENCH_WARMUP_MS ?? 500);

const paths = {
  ours: env.BENCH_OURS ?? resolve(here, '../../pkg/node/musig2_p2p.js'),
  core: env.BENCH_CORE ?? resolve(here, '../build/crypto-only/musig2_crypto_wasm_bench.js'),
  coreO3:
    env.BENCH_CORE_O3 ?? resolve(here, '../build/crypto-only-o3/musig2_crypto_wasm_bench.js'),
  musig2: env.BENCH_MUSIG2 ?? resolve(here, '../build/musig2-crate/musig2_crate_wasm.js'),
  musig2Tables:
    env.BENCH_MUSIG2_TABLES ?? resolve(here, '../build/musig2-crate-tables/musig2_crate_wasm.js'),
};
const ours = require(paths.ours);
const core = require(paths.core);
const coreO3 = require(paths.coreO3);
const m2 = require(paths.musig2);
const m2t = require(paths.musig2Tables);

// ---------------------------------------------------------------- fixtures

const hex = (b) => Buffer.from(b).toString('hex');
const concat = (list) => Buffer.concat(list.map((b) => Buffer.from(b)));
const cmpBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** `n` deterministic signers, sorted by compressed public key (BIP-327 KeySort order), so
 * every library aggregates the same list in the same order. */
function signers(n) {
  const list = [];
  for (let i = 0; list.length < n; i++) {
    const sk = createHash('sha256').update(`musig2-p2p bench signer ${i}`).digest();
    const pk = ours.publicKey(sk);
    assert.deepEqual(Buffer.from(pk), Buffer.from(secp256k1.getPublicKey(sk, true)));
    list.push({ sk: new Uint8Array(sk), pk });
  }
  list.sort((a, b) => cmpBytes(a.pk, b.pk));
  return { sks: list.map((s) => s.sk), pks: list.map((s) => s.pk) };
}

const MSG = new Uint8Array(createHash('sha256').update('musig2-p2p bench message').digest());

// ---------------------------------------------------------------- libraries under test

/** Each library: `keyAgg(pks) -> setup`, whose `run()` does one KeyAgg and returns the
 * 32-byte x-only key; `round(sks, pks) -> setup`, whose `run()` does one full round and
 * returns { sig, aggPk }. */
const LIBS = {
  ours: {
    label: 'ours (musig2-p2p wasm, JS API)',
    col: 'ours',
    keyAgg(pks) {
      return () => {
        const ctx = new ours.SigningContext('bip327', pks, null);
        const key = ctx.aggregateKey();
        ctx.free();
        return key;
      };
    },
    round(sks, pks, scheme = 'bip327') {
      const ctx = new ours.SigningContext(scheme, pks, null);
      const aggPk = ctx.aggregateKey();
      return () => {
        const gens = sks.map((sk) => ctx.nonceGen(sk, MSG));
        const pubNonces = gens.map((g) => g.pubNonce);
        const aggNonce = ctx.nonceAgg(pubNonces);
        const psigs = gens.map((g, i) => ctx.sign(g.secNonce, sks[i], aggNonce, MSG));
        for (let i = 0; i < psigs.length; i++) {
          if (!ctx.partialVerify(psigs[i], pubNonces[i], pks[i], aggNonce, MSG)) {
            throw new Error(`ours: partial signature ${i} rejected`);
          }
        }
        const sig = ctx.aggregate(aggNonce, MSG, psigs);
        if (!ctx.verify(MSG, sig)) throw new Error('ours: final signature rejected');
        for (const g of gens) g.secNonce.free();
        return { sig, aggPk };
      };
    },
  },
  core: crypto('ours-core', 'ours-core (musig2-crypto alone in wasm, 1 call/round)', core),
  coreO3: crypto('ours-core O3', 'ours-core built with opt-level 3', coreO3),
  scure: {
    label: '@scure/btc-signer 2.4.1 (JS)',
    col: 'scure',
    keyAgg(pks) {
      return () => scure.keyAggExport(scure.keyAggregate(pks));
    },
    round(sks, pks) {
      const aggPk = scure.keyAggExport(scure.keyAggregate(pks));
      return () => {
        const nonces = sks.map((sk, i) => scure.nonceGen(pks[i], sk, aggPk, MSG));
        const pubNonces = nonces.map((n) => n.public);
        const aggNonce = scure.nonceAggregate(pubNonces);
        const session = new scure.Session(aggNonce, pks, MSG);
        const psigs = nonces.map((n, i) => session.sign(n.secret, sks[i]));
        for (let i = 0; i < psigs.length; i++) {
          if (!session.partialSigVerify(psigs[i], pubNonces, i)) {
            throw new Error(`scure: partial signature ${i} rejected`);
          }
        }
        const sig = session.partialSigAgg(psigs);
        if (!schnorr.verify(sig, MSG, aggPk)) throw new Error('scure: final signature rejected');
        return { sig, aggPk };
      };
    },
  },
  musig2: wasmCrate('musig2', 'musig2 crate 0.3.1 in wasm (k256)', m2),
  musig2Tables: wasmCrate('musig2 +tables', 'musig2 crate 0.3.1 in wasm (k256 + precomputed tables)', m2t),
};

/** A wasm module that runs a whole KeyAgg or round in one call (ours-core, musig2 crate). */
function oneCall(col, label, keyAgg, newRound) {
  return {
    col,
    label,
    keyAgg(pks) {
      const raw = concat(pks);
      return () => keyAgg(raw);
    },
    round(sks, _pks, scheme = 'bip327') {
      const r = newRound(scheme, concat(sks));
      const aggPk = r.aggregateKey();
      const rand = new Uint8Array(32 * sks.length);
      return () => ({ sig: r.run(MSG, getRandomValues(rand)), aggPk });
    },
  };
}

function crypto(col, label, mod) {
  return oneCall(col, label, (raw) => mod.keyAgg('bip327', raw), (scheme, raw) => new mod.Round(scheme, raw));
}

function wasmCrate(col, label, mod) {
  return oneCall(col, label, (raw) => mod.keyAgg(raw), (_scheme, raw) => new mod.Round(raw));
}

// ---------------------------------------------------------------- correctness checks

/** Every library must produce the same aggregate key for the same sorted keys. */
function checkKeyAgg(setups, n) {
  const keys = Object.entries(setups).map(([name, run]) => [name, hex(run())]);
  for (const [name, key] of keys) {
    assert.equal(key, keys[0][1], `KeyAgg(${n}): ${name} disagrees with ${keys[0][0]}`);
  }
  return keys[0][1];
}

/** Each library's round must yield a BIP-340 signature that an independent verifier
 * (@noble/curves) accepts under the common aggregate key, and rejects once tampered. */
function checkRound(name, out, expectedKey) {
  assert.equal(hex(out.aggPk), expectedKey, `${name}: unexpected aggregate key`);
  assert.equal(out.sig.length, 64, `${name}: signature length`);
  assert.ok(schnorr.verify(out.sig, MSG, out.aggPk), `${name}: signature does not verify`);
  const bad = Uint8Array.from(out.sig);
  bad[63] ^= 1;
  assert.ok(!schnorr.verify(bad, MSG, out.aggPk), `${name}: tampered signature verifies`);
}

// ---------------------------------------------------------------- timing

const gc = globalThis.gc ?? (() => {});
const now = () => performance.now();

/** Runs `fn` for about `ms` milliseconds; returns iterations done and elapsed time. */
function timeFor(fn, ms, minIters = 1) {
  let iters = 0;
  const t0 = now();
  let t = t0;
  while (iters < minIters || t - t0 < ms) {
    fn();
    iters++;
    t = now();
  }
  return { iters, elapsed: t - t0 };
}

/** Times `fn` for a fixed number of iterations: wall-clock and this process's CPU time
 * (user + system), both in milliseconds. CPU time barely grows when other processes
 * compete for the cores, so it estimates the speed on an idle machine. */
function timeIters(fn, iters) {
  const c0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < iters; i++) fn();
  const wall = now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Measures several libraries on one case: warm-up and calibration, then `RUNS` runs
 * interleaved across libraries (so load from other processes hits them alike). */
function measure(caseName, setups) {
  const iters = {};
  for (const [name, fn] of Object.entries(setups)) {
    const warm = timeFor(fn, WARMUP_MS, 3);
    iters[name] = Math.max(3, Math.round((warm.iters * RUN_MS) / warm.elapsed));
  }
  const samples = Object.fromEntries(Object.keys(setups).map((k) => [k, []]));
  const cpuSamples = Object.fromEntries(Object.keys(setups).map((k) => [k, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const [name, fn] of Object.entries(setups)) {
      gc();
      const t = timeIters(fn, iters[name]);
      samples[name].push(t.wall / iters[name]);
      cpuSamples[name].push(t.cpu / iters[name]);
    }
  }
  const results = {};
  for (const [name, ms] of Object.entries(samples)) {
    const med = median(ms);
    results[name] = {
      case: caseName,
      lib: name,
      msPerOp: med,
      cpuMsPerOp: median(cpuSamples[name]),
      opsPerSec: 1000 / med,
      minMs: Math.min(...ms),
      maxMs: Math.max(...ms),
      itersPerRun: iters[name],
      runs: ms,
      cpuRuns: cpuSamples[name],
    };
    const x = results[name];
    console.error(
      `  ${caseName.padEnd(14)} ${LIBS[name]?.label ?? name}: ${x.msPerOp.toFixed(3)} ms/op ` +
        `(${x.opsPerSec.toFixed(1)}/s; runs ${ms.map((v) => v.toFixed(3)).join(' ')})`,
    );
  }
  return results;
}

// ---------------------------------------------------------------- sizes

function sizes() {
  const files = [
    ['musig2-p2p npm package wasm (facade + crypto + session + libp2p)', paths.ours.replace(/\.js$/, '_bg.wasm')],
    ['musig2-crypto only (bench/crypto-only-wasm)', paths.core.replace(/\.js$/, '_bg.wasm')],
    ['musig2-crypto only, opt-level 3', paths.coreO3.replace(/\.js$/, '_bg.wasm')],
    ['musig2 crate (k256)', paths.musig2.replace(/\.js$/, '_bg.wasm')],
    ['musig2 crate (k256 + tables)', paths.musig2Tables.replace(/\.js$/, '_bg.wasm')],
  ];
  return files.map(([what, file]) => {
    const raw = readFileSync(file);
    const gzip = gzipSync(raw, { level: 9 }).length;
    const brotli = brotliCompressSync(raw, {
      params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: raw.length },
    }).length;
    return { what, file, raw: raw.length, gzip, brotli };
  });
}

// ---------------------------------------------------------------- main

const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
const fmtMs = (ms) => (ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const fmtOps = (o) => (o >= 100 ? o.toFixed(0) : o.toFixed(1));

function main() {
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    v8: process.versions.v8,
    loadBefore: os.loadavg(),
  };
  console.error(
    `machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}; ` +
      `load average ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.error(`runs per case and library: ${RUNS} x ~${RUN_MS} ms after ${WARMUP_MS} ms warm-up`);

  const libs = Object.keys(LIBS);
  const results = [];
  for (const n of [3, 10, 100]) {
    const { pks } = signers(n);
    const setups = Object.fromEntries(libs.map((l) => [l, LIBS[l].keyAgg(pks)]));
    checkKeyAgg(setups, n);
    results.push(...Object.values(measure(`KeyAgg ${n}`, setups)));
  }
  for (const n of [3, 10]) {
    const { sks, pks } = signers(n);
    const expectedKey = checkKeyAgg(
      Object.fromEntries(libs.map((l) => [l, LIBS[l].keyAgg(pks)])),
      n,
    );
    const setups = {};
    for (const l of libs) {
      const run = LIBS[l].round(sks, pks);
      checkRound(l, run(), expectedKey);
      setups[l] = () => run();
    }
    results.push(...Object.values(measure(`Round ${n}-of-${n}`, setups)));
    // Check that the measured code still produces good signatures after all those runs.
    for (const l of libs) checkRound(l, setups[l](), expectedKey);
  }
  // Our Lotus scheme, for reference (no other library implements it).
  for (const n of [3, 10]) {
    const { sks, pks } = signers(n);
    const setups = {};
    for (const l of ['ours', 'core', 'coreO3']) {
      const run = LIBS[l].round(sks, pks, 'lotus');
      const out = run();
      assert.ok(ours.schnorrVerify('lotus', out.aggPk, MSG, out.sig), `lotus: ${l} signature rejected`);
      const bad = Uint8Array.from(out.sig);
      bad[63] ^= 1;
      assert.ok(!ours.schnorrVerify('lotus', out.aggPk, MSG, bad), `lotus: ${l} tampered signature verifies`);
      setups[l] = run;
    }
    assert.equal(hex(setups.ours().aggPk), hex(setups.core().aggPk), 'lotus: aggregate keys differ');
    results.push(...Object.values(measure(`Lotus ${n}-of-${n}`, setups)));
  }
  machine.loadAfter = os.loadavg();
  const sz = sizes();
  report(machine, results, sz);
  if (env.BENCH_JSON) {
    writeFileSync(env.BENCH_JSON, JSON.stringify({ machine, results, sizes: sz }, null, 2));
  }
}

function report(machine, results, sz) {
  const get = (c, l) => results.find((r) => r.case === c && r.lib === l);
  const out = [];
  if (env.BENCH_SOURCE) out.push(`Code: ${env.BENCH_SOURCE}.`);
  out.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node} (V8 ${machine.v8}); ` +
      `load average before ${machine.loadBefore.map((l) => l.toFixed(2)).join('/')}, ` +
      `after ${machine.loadAfter.map((l) => l.toFixed(2)).join('/')}.`,
  );
  out.push('');
  out.push('Median of the runs, ms per operation and operations per second; ±: slowest run vs fastest.');
  out.push('');
  const cases = [...new Set(results.map((r) => r.case))];
  const libs = Object.keys(LIBS);
  for (const l of libs) out.push(`- ${LIBS[l].col}: ${LIBS[l].label}`);
  out.push('');
  const table = (cell) => {
    out.push(`| case | ${libs.map((l) => LIBS[l].col).join(' | ')} |`);
    out.push(`| --- | ${libs.map(() => '---:').join(' | ')} |`);
    for (const c of cases) {
      out.push(`| ${c} | ${libs.map((l) => (get(c, l) ? cell(get(c, l)) : '–')).join(' | ')} |`);
    }
    out.push('');
  };
  table((r) => {
    const spread = ((r.maxMs / r.minMs - 1) * 100).toFixed(0);
    return `${fmtMs(r.msPerOp)} ms · ${fmtOps(r.opsPerSec)}/s ±${spread}%`;
  });
  out.push('CPU time of this process per operation (median of the same runs; less affected by load):');
  out.push('');
  table((r) => `${fmtMs(r.cpuMsPerOp)} ms`);
  out.push('Ratios (same process, same run):');
  out.push('');
  const ratio = (c, a, b) => get(c, b).msPerOp / get(c, a).msPerOp;
  const best = (c, a, b) => get(c, b).minMs / get(c, a).minMs;
  const cpu = (c, a, b) => get(c, b).cpuMsPerOp / get(c, a).cpuMsPerOp;
  for (const n of [3, 10]) {
    const c = `Round ${n}-of-${n}`;
    const r1 = ratio(c, 'ours', 'musig2');
    out.push(
      `- ${c}: ours / musig2 crate wasm = ${r1.toFixed(2)}× (target ≥ 2×: ${r1 >= 2 ? 'met' : 'NOT met'}; ` +
        `fastest runs ${best(c, 'ours', 'musig2').toFixed(2)}×, CPU time ${cpu(c, 'ours', 'musig2').toFixed(2)}×); ` +
        `vs musig2 + tables ${ratio(c, 'ours', 'musig2Tables').toFixed(2)}×; ` +
        `vs @scure/btc-signer ${ratio(c, 'ours', 'scure').toFixed(2)}×; ` +
        `ours-core / musig2 crate ${ratio(c, 'core', 'musig2').toFixed(2)}× ` +
        `(opt-level 3: ${ratio(c, 'coreO3', 'musig2').toFixed(2)}×); ` +
        `ours (JS API) takes ${((get(c, 'ours').msPerOp / get(c, 'core').msPerOp) * 100).toFixed(0)}% of ours-core's time`,
    );
  }
  const k = (l) => get('KeyAgg 100', l);
  const k100 = k('ours').msPerOp;
  out.push(
    `- KeyAgg of 100 keys, ours: ${k100.toFixed(2)} ms (target ≤ 3 ms: ${k100 <= 3 ? 'met' : 'NOT met'}; ` +
      `fastest run ${k('ours').minMs.toFixed(2)} ms, CPU time ${k('ours').cpuMsPerOp.toFixed(2)} ms; ` +
      `ours-core O3 ${k('coreO3').msPerOp.toFixed(2)} ms, CPU ${k('coreO3').cpuMsPerOp.toFixed(2)} ms); ` +
      `musig2 crate ${k('musig2').msPerOp.toFixed(2)} ms, ` +
      `@scure/btc-signer ${k('scure').msPerOp.toFixed(1)} ms`,
  );
  out.push('');
  out.push('Wasm sizes (wasm-bindgen output, no wasm-opt; gzip -9, brotli q11):');
  out.push('');
  out.push('| module | raw | gzip | brotli |');
  out.push('| --- | ---: | ---: | ---: |');
  for (const s of sz) {
    out.push(`| ${s.what} | ${kib(s.raw)} (${s.raw} B) | ${kib(s.gzip)} | ${kib(s.brotli)} |`);
  }
  console.log(out.join('\n'));
}

main();
