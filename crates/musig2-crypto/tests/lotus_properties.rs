//! Property tests of the Lotus MuSig2 scheme: random signer sets (1 to 8 signers, sometimes a
//! duplicated key), with and without a Taproot tweak, run nonce generation → aggregation →
//! partial signing → partial verification → aggregation → Lotus Schnorr verification, and a
//! corrupted partial signature is blamed on exactly the signer who sent it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use k256::elliptic_curve::PrimeField;
use k256::{FieldBytes, Scalar};
use musig2_crypto::hash::sha256;
use musig2_crypto::lotus::{self, KeyAggContext, PartialSignature, PubNonce, SessionContext};
use musig2_crypto::{Contribution, Error};
use proptest::prelude::*;
use proptest::sample::Index;

/// How a case uses Taproot.
#[derive(Debug, Clone, Copy)]
enum Tap {
    None,
    KeyPathOnly,
    Root([u8; 32]),
}

fn tap_strategy() -> impl Strategy<Value = Tap> {
    prop_oneof![
        Just(Tap::None),
        Just(Tap::KeyPathOnly),
        any::<[u8; 32]>().prop_map(Tap::Root),
    ]
}

/// A valid secret key derived from a seed (a hash is below n with overwhelming probability).
fn secret_key(seed: &[u8; 32]) -> [u8; 32] {
    let sk = sha256(&[b"lotus-prop-sk", seed]);
    assert!(lotus::public_key(&sk).is_ok());
    sk
}

struct Run {
    ctx: KeyAggContext,
    session: SessionContext,
    pubnonces: Vec<PubNonce>,
    psigs: Vec<PartialSignature>,
    msg: [u8; 32],
}

/// Runs a full session; `secret_keys` are in input order.
fn run(secret_keys: &[[u8; 32]], tap: Tap, msg: [u8; 32], rand: [u8; 32]) -> Run {
    let pubkeys: Vec<[u8; 33]> = secret_keys
        .iter()
        .map(|sk| lotus::public_key(sk).unwrap())
        .collect();
    let mut ctx = KeyAggContext::new(&pubkeys).unwrap();
    ctx = match tap {
        Tap::None => ctx,
        Tap::KeyPathOnly => ctx.with_taproot(None).unwrap(),
        Tap::Root(root) => ctx.with_taproot(Some(&root)).unwrap(),
    };
    // One nonce per sorted position, each with its own fresh extra input.
    let mut secnonces = Vec::new();
    let mut pubnonces = Vec::new();
    for (i, &input) in ctx.sorted_order().iter().enumerate() {
        let extra = sha256(&[&rand, &(i as u64).to_be_bytes()]);
        let (sec, pubn) = lotus::nonce_gen(
            &secret_keys[input],
            &ctx.internal_pubkey(),
            Some(&msg),
            Some(&extra),
        )
        .unwrap();
        secnonces.push((input, sec));
        pubnonces.push(pubn);
    }
    let agg = lotus::nonce_agg(&pubnonces).unwrap();
    let session = SessionContext::new(&ctx, &agg, &msg).unwrap();
    let psigs = secnonces
        .into_iter()
        .enumerate()
        .map(|(i, (input, sec))| session.sign(sec, &secret_keys[input], Some(i)).unwrap())
        .collect();
    Run {
        ctx,
        session,
        pubnonces,
        psigs,
        msg,
    }
}

fn keys_strategy() -> impl Strategy<Value = Vec<[u8; 32]>> {
    (
        prop::collection::vec(any::<[u8; 32]>(), 1..=8),
        any::<Index>(),
        any::<bool>(),
    )
        .prop_map(|(seeds, dup_of, duplicate)| {
            let mut keys: Vec<[u8; 32]> = seeds.iter().map(secret_key).collect();
            // Sometimes give one key two signer slots (still at most 8 signers).
            if duplicate && keys.len() < 8 {
                let k = keys[dup_of.index(keys.len())];
                keys.push(k);
            }
            keys
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn session_produces_a_valid_lotus_schnorr_signature(
        keys in keys_strategy(),
        tap in tap_strategy(),
        msg in any::<[u8; 32]>(),
        rand in any::<[u8; 32]>(),
    ) {
        let r = run(&keys, tap, msg, rand);
        for (i, (psig, pubn)) in r.psigs.iter().zip(&r.pubnonces).enumerate() {
            prop_assert_eq!(r.session.partial_sig_verify(psig, pubn, i), Ok(()));
            let wire = PartialSignature::from_bytes(&psig.to_bytes()).unwrap();
            prop_assert_eq!(
                lotus::partial_sig_verify(&wire, &r.pubnonces, &r.ctx, &r.msg, i),
                Ok(())
            );
        }
        let sig = r.session.partial_sig_agg(&r.psigs).unwrap();
        prop_assert_eq!(lotus::schnorr_verify(&r.ctx.aggregate_pubkey(), &r.msg, &sig), Ok(()));
        // The signature's r is x(R) of the session's final nonce.
        prop_assert_eq!(&sig[..32], &r.session.final_nonce()[1..]);
        let mut other = r.msg;
        other[0] ^= 1;
        prop_assert!(lotus::schnorr_verify(&r.ctx.aggregate_pubkey(), &other, &sig).is_err());
        match tap {
            Tap::None => prop_assert_eq!(r.session.tweak_term(), None),
            Tap::KeyPathOnly | Tap::Root(_) => {
                prop_assert!(r.session.tweak_term().is_some());
                prop_assert!(
                    lotus::schnorr_verify(&r.ctx.internal_pubkey(), &r.msg, &sig).is_err(),
                    "a Taproot signature must not verify under the internal key"
                );
            }
        }
    }

    #[test]
    fn a_corrupted_partial_signature_is_blamed_on_its_signer(
        keys in keys_strategy(),
        tap in tap_strategy(),
        msg in any::<[u8; 32]>(),
        rand in any::<[u8; 32]>(),
        victim in any::<Index>(),
        delta in 1u64..,
    ) {
        let mut r = run(&keys, tap, msg, rand);
        let v = victim.index(r.psigs.len());
        let bad = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(r.psigs[v].to_bytes())))
            .unwrap()
            + Scalar::from(delta);
        r.psigs[v] = PartialSignature::from_bytes(&bad.to_bytes()).unwrap();
        for (i, (psig, pubn)) in r.psigs.iter().zip(&r.pubnonces).enumerate() {
            let res = r.session.partial_sig_verify(psig, pubn, i);
            if i == v {
                prop_assert_eq!(res.clone(), Err(Error::InvalidContribution {
                    signer: Some(v),
                    contrib: Contribution::PartialSig,
                }));
                prop_assert_eq!(res.unwrap_err().culprit(), Some(v));
            } else {
                prop_assert_eq!(res, Ok(()));
            }
        }
        // Checked against another signer's nonce, even the honest signature is rejected.
        if r.psigs.len() > 1 {
            let w = (v + 1) % r.psigs.len();
            prop_assert!(r.session.partial_sig_verify(&r.psigs[w], &r.pubnonces[v], w).is_err()
                || r.pubnonces[v] == r.pubnonces[w]);
        }
        // Aggregating anyway gives a signature that does not verify.
        if let Ok(sig) = r.session.partial_sig_agg(&r.psigs) {
            prop_assert!(lotus::schnorr_verify(&r.ctx.aggregate_pubkey(), &r.msg, &sig).is_err());
        }
    }

    #[test]
    fn lotus_schnorr_round_trip(seed in any::<[u8; 32]>(), msg in any::<[u8; 32]>()) {
        let sk = secret_key(&seed);
        let pk = lotus::public_key(&sk).unwrap();
        let sig = lotus::schnorr_sign(&sk, &msg).unwrap();
        prop_assert_eq!(lotus::schnorr_verify(&pk, &msg, &sig), Ok(()));
        prop_assert_eq!(lotus::schnorr_sign(&sk, &msg).unwrap(), sig, "deterministic");
        let mut neg = pk;
        neg[0] ^= 1;
        prop_assert!(lotus::schnorr_verify(&neg, &msg, &sig).is_err());
    }

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        let _ = PubNonce::from_bytes(&bytes);
        let _ = lotus::AggNonce::from_bytes(&bytes);
        let _ = PartialSignature::from_bytes(&bytes);
        let _ = KeyAggContext::new(std::slice::from_ref(&bytes));
        let _ = lotus::schnorr_verify(&bytes, &[0; 32], &bytes);
        let _ = lotus::taproot_output_key(&bytes, None);
    }
}
