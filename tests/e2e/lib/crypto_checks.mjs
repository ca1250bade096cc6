// Checks of the low-level JS crypto API, shared by the Node run and the Chromium run.
// `m` is the package module (pkg/node or pkg/web); `vectors` holds the vector files' text.

import {
  hex, toHex, check, expectCode, runBip327VectorChecks, BIP327_VECTOR_FILES,
} from './crypto_checks_bip327.mjs';

function bip340Vectors(m, csv) {
  const rows = csv.trim().split('\n').slice(1).map((l) => l.split(','));
  let count = 0;
  for (const [index, sk, pk, aux, msg, sig, result] of rows) {
    const expected = result === 'TRUE';
    if (sk) {
      const ours = m.bip340Sign(hex(sk), hex(msg), hex(aux));
      check(toHex(ours) === sig.toLowerCase(), `bip340 vector ${index} signature`);
    }
    check(m.bip340Verify(hex(pk), hex(msg), hex(sig)) === expected, `bip340 vector ${index} verification`);
    count += 1;
  }
  return count;
}

function lotusSchnorrVectors(m, json) {
  const v = JSON.parse(json);
  let count = 0;
  for (const c of v.test_cases) {
    const sig = m.schnorrSign('lotus', hex(c.sk), hex(c.msg));
    check(toHex(sig) === c.signature, `lotus schnorr ${c.id} signature`);
    check(toHex(m.publicKey(hex(c.sk))) === c.pubkey, `lotus schnorr ${c.id} public key`);
    check(m.schnorrVerify('lotus', hex(c.pubkey), hex(c.msg), sig) === true, `lotus schnorr ${c.id} verifies`);
    count += 1;
  }
  for (const c of v.verify_fail_cases) {
    check(m.schnorrVerify('lotus', hex(c.pubkey), hex(c.msg), hex(c.signature)) === false, `lotus schnorr ${c.id} rejected`);
    count += 1;
  }
  return count;
}

function keySortVectors(m, json) {
  const v = JSON.parse(json);
  const sorted = m.keySort(v.pubkeys.map(hex)).map(toHex);
  check(JSON.stringify(sorted) === JSON.stringify(v.sorted_pubkeys.map((k) => k.toLowerCase())), 'KeySort vector');
  return 1;
}

function fullRound(m, scheme, n, taproot) {
  const sks = Array.from({ length: n }, () => m.generateSecretKey());
  const pks = sks.map((sk) => m.publicKey(sk));
  const ctx = new m.SigningContext(scheme, pks, taproot);
  check(ctx.scheme === scheme, 'scheme getter');
  const msg = new Uint8Array(32).fill(7);
  const nonces = sks.map((sk) => ctx.nonceGen(sk, msg));
  const aggNonce = ctx.nonceAgg(nonces.map((x) => x.pubNonce));
  const psigs = sks.map((sk, i) => ctx.sign(nonces[i].secNonce, sk, aggNonce, msg));
  psigs.forEach((p, i) => check(ctx.partialVerify(p, nonces[i].pubNonce, pks[i], aggNonce, msg) === true, `psig ${i}`));
  const sig = ctx.aggregate(aggNonce, msg, psigs);
  check(ctx.verify(msg, sig) === true, `${scheme} ${n}-of-${n} signature verifies`);
  check(ctx.verify(new Uint8Array(32), sig) === false, `${scheme} signature bound to its message`);
  // Nonce safety: the handle is spent; a second use throws with a stable code.
  check(nonces[0].secNonce.used === true, 'handle marked used');
  expectCode(() => ctx.sign(nonces[0].secNonce, sks[0], aggNonce, msg), 'NONCE_ALREADY_USED', 'second use of a nonce');
  // Blame: a corrupted partial signature names its signer.
  const bad = Uint8Array.from(psigs[1]);
  bad[31] ^= 1;
  const err = expectCode(() => ctx.partialVerify(bad, nonces[1].pubNonce, pks[1], aggNonce, msg), 'INVALID_CONTRIBUTION', 'bad psig');
  check(err.contribution === 'psig', 'blamed contribution is psig');
}

// A tweaked BIP-327 round in which two signers use nonces from the free `nonceGen` and the
// last one signs deterministically.
function tweakedRoundWithDeterministicSigner(m) {
  const sks = [m.generateSecretKey(), m.generateSecretKey(), m.generateSecretKey()];
  const pks = sks.map((sk) => m.publicKey(sk));
  const ctx = new m.SigningContext('bip327', pks, null);
  const untweaked = ctx.aggregateKey();
  ctx.applyTweak(new Uint8Array(32).fill(1), false);
  ctx.applyTweak(new Uint8Array(32).fill(2), true);
  check(toHex(ctx.aggregateKey()) !== toHex(untweaked), 'tweaks change the aggregate key');
  const msg = new TextEncoder().encode('a message of any length');
  const first = sks.slice(0, 2).map((sk, i) => m.nonceGen({
    scheme: 'bip327', publicKey: pks[i], secretKey: sk, aggregateKey: ctx.aggregateKey(), msg,
  }));
  const others = ctx.nonceAgg(first.map((n) => n.pubNonce));
  const det = ctx.deterministicSign(sks[2], others, msg);
  const again = ctx.deterministicSign(sks[2], others, msg);
  check(toHex(det.partialSig) === toHex(again.partialSig), 'deterministic signing repeats');
  const pubNonces = [...first.map((n) => n.pubNonce), det.pubNonce];
  const aggNonce = ctx.nonceAgg(pubNonces);
  const psigs = [...first.map((n, i) => ctx.sign(n.secNonce, sks[i], aggNonce, msg)), det.partialSig];
  psigs.forEach((p, i) => check(ctx.partialVerify(p, pubNonces[i], pks[i], aggNonce, msg) === true, `tweaked psig ${i}`));
  const sig = ctx.aggregate(aggNonce, msg, psigs);
  check(ctx.verify(msg, sig) === true, 'tweaked signature verifies under the tweaked key');
  check(m.bip340Verify(ctx.aggregateKey(), msg, sig) === true, 'and as plain BIP-340');
  check(m.bip340Verify(untweaked, msg, sig) === false, 'not under the untweaked key');
}

function untrustedInput(m) {
  const pk = m.publicKey(m.generateSecretKey());
  const garbage = new Uint8Array(33).fill(0xff);
  const e = expectCode(() => new m.SigningContext('bip327', [pk, garbage], null), 'INVALID_CONTRIBUTION', 'invalid key');
  check(e.signer === 1 && e.contribution === 'pubkey', 'invalid key blamed on index 1');
  expectCode(() => new m.SigningContext('bip328', [pk], null), 'INVALID_ARGUMENT', 'unknown scheme');
  expectCode(() => new m.SigningContext('lotus', 'not an array', null), 'INVALID_ARGUMENT', 'keys not an array');
  expectCode(() => new m.SigningContext('lotus', [new Uint8Array(5)], null), 'INVALID_ARGUMENT', 'short key');
  expectCode(() => m.publicKey(new Uint8Array(32)), 'INVALID_ARGUMENT', 'zero secret key');
  expectCode(() => m.schnorrSign('lotus', m.generateSecretKey(), new Uint8Array(31)), 'INVALID_ARGUMENT', 'short digest');
  check(m.schnorrVerify('bip327', garbage, new Uint8Array(32), new Uint8Array(64)) === false, 'garbage verifies false');
}

/** Runs every check; returns the number of vector cases checked. Throws on the first failure. */
export function runCryptoChecks(m, vectors) {
  let cases = 0;
  cases += bip340Vectors(m, vectors.bip340);
  cases += lotusSchnorrVectors(m, vectors.lotusSchnorr);
  cases += keySortVectors(m, vectors.keySort);
  for (const scheme of ['bip327', 'lotus']) {
    fullRound(m, scheme, 3, null);
    fullRound(m, scheme, 5, { merkleRoot: null });
    fullRound(m, scheme, 2, { merkleRoot: new Uint8Array(32).fill(9) });
  }
  tweakedRoundWithDeterministicSigner(m);
  untrustedInput(m);
  cases += runBip327VectorChecks(m, vectors);
  return cases;
}

/** The vector files the checks read, relative to the repository root. */
export const VECTOR_FILES = {
  bip340: 'tests/vectors/bip340/test-vectors.csv',
  lotusSchnorr: 'tests/vectors/lotus/schnorr.json',
  keySort: 'tests/vectors/bip327/key_sort_vectors.json',
  ...BIP327_VECTOR_FILES,
};
