//! BIP-327 benchmarks: key aggregation of 3, 10 and 100 keys, and full n-of-n signing rounds
//! (every signer's nonce generation, nonce aggregation, the session, every partial signature,
//! verification of each, aggregation and the final BIP-340 verification).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use musig2_crypto::bip327::{
    individual_pk, nonce_agg, nonce_gen, KeyAggContext, NonceGenInputs, SessionContext,
};
use musig2_crypto::{bip340, taproot};

/// `n` deterministic secret keys and their public keys.
fn signers(n: usize) -> (Vec<[u8; 32]>, Vec<[u8; 33]>) {
    let sks: Vec<[u8; 32]> = (0..n)
        .map(|i| {
            let mut sk = [0x5Au8; 32];
            sk[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            sk
        })
        .collect();
    let pks = sks.iter().map(|sk| individual_pk(sk).unwrap()).collect();
    (sks, pks)
}

/// One complete signing round for all signers of `key_ctx`; returns the final signature.
fn full_round(key_ctx: &KeyAggContext, sks: &[[u8; 32]], pks: &[[u8; 33]], msg: &[u8]) -> [u8; 64] {
    let aggpk = key_ctx.xonly_public_key();
    let (secnonces, pubnonces): (Vec<_>, Vec<_>) = sks
        .iter()
        .zip(pks)
        .enumerate()
        .map(|(i, (sk, pk))| {
            let inputs = NonceGenInputs {
                sk: Some(sk),
                aggpk: Some(&aggpk),
                msg: Some(msg),
                extra_in: None,
            };
            nonce_gen(&[i as u8; 32], pk, inputs).unwrap()
        })
        .unzip();
    let encoded: Vec<&[u8]> = pubnonces.iter().map(|n| n.as_bytes().as_slice()).collect();
    let aggnonce = nonce_agg(&encoded).unwrap();
    let session = SessionContext::new(key_ctx, &aggnonce, msg);
    let psigs: Vec<_> = secnonces
        .into_iter()
        .zip(sks)
        .map(|(secnonce, sk)| session.sign(secnonce, sk).unwrap())
        .collect();
    for (i, (psig, pubnonce)) in psigs.iter().zip(&pubnonces).enumerate() {
        session.partial_sig_verify(psig, pubnonce, i).unwrap();
    }
    let sig = session.partial_sig_agg(&psigs);
    assert!(bip340::verify(&aggpk, msg, &sig));
    sig
}

fn key_agg(c: &mut Criterion) {
    let mut group = c.benchmark_group("key_agg");
    for n in [3usize, 10, 100] {
        let (_, pks) = signers(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &pks, |b, pks| {
            b.iter(|| KeyAggContext::new(black_box(pks)).unwrap())
        });
    }
    group.finish();
}

fn round(c: &mut Criterion) {
    let mut group = c.benchmark_group("full_round");
    let msg = [0x42u8; 32];
    for n in [3usize, 10] {
        let (sks, pks) = signers(n);
        let mut key_ctx = KeyAggContext::new(&pks).unwrap();
        taproot::apply_taproot_tweak(&mut key_ctx, None).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| full_round(&key_ctx, &sks, &pks, black_box(&msg)))
        });
    }
    group.finish();
}

fn single(c: &mut Criterion) {
    let (sks, _) = signers(1);
    let pk = bip340::xonly_public_key(&sks[0]).unwrap();
    let msg = [7u8; 32];
    let sig = bip340::sign(&sks[0], &msg, &[0u8; 32]).unwrap();
    c.bench_function("bip340_sign", |b| {
        b.iter(|| bip340::sign(&sks[0], black_box(&msg), &[0u8; 32]))
    });
    c.bench_function("bip340_verify", |b| {
        b.iter(|| bip340::verify(&pk, black_box(&msg), &sig))
    });
}

criterion_group!(benches, key_agg, round, single);
criterion_main!(benches);
