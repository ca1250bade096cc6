//! Property tests of full BIP-327 rounds: random signer counts (1..=8), random plain and
//! x-only tweak mixes (0..=3, optionally followed by a Taproot tweak), random message lengths
//! (0..=200) and random nonce inputs. Every round must produce partial signatures that verify
//! and a BIP-340 signature that verifies for the aggregate key; a corrupted partial signature
//! must be blamed on exactly its signer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use musig2_crypto::bip327::{
    deterministic_sign, individual_pk, key_sort, nonce_agg, nonce_gen, partial_sig_agg,
    partial_sig_verify, AggNonce, KeyAggContext, NonceGenInputs, PartialSignature, PubNonce,
    SessionContext, Tweak,
};
use musig2_crypto::{bip340, taproot, Contribution, Error};
use proptest::prelude::*;

/// Number of random rounds per property.
const CASES: u32 = 256;

/// One random signing scenario.
#[derive(Debug, Clone)]
struct Round {
    sks: Vec<[u8; 32]>,
    rands: Vec<[u8; 32]>,
    tweaks: Vec<Tweak>,
    taproot: Option<Option<[u8; 32]>>,
    sort_keys: bool,
    msg: Vec<u8>,
}

fn round() -> impl Strategy<Value = Round> {
    (1usize..=8).prop_flat_map(|n| {
        (
            prop::collection::vec(any::<[u8; 32]>(), n),
            prop::collection::vec(any::<[u8; 32]>(), n),
            prop::collection::vec((any::<[u8; 32]>(), any::<bool>()), 0..=3),
            prop::option::of(prop::option::of(any::<[u8; 32]>())),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..=200),
        )
            .prop_map(|(sks, rands, tweaks, taproot, sort_keys, msg)| Round {
                sks,
                rands,
                tweaks: tweaks
                    .into_iter()
                    .map(|(bytes, is_xonly)| Tweak { bytes, is_xonly })
                    .collect(),
                taproot,
                sort_keys,
                msg,
            })
    })
}

/// The outcome of running a round up to the partial signatures.
struct Signed {
    key_ctx: KeyAggContext,
    pubnonces: Vec<PubNonce>,
    session: SessionContext,
    psigs: Vec<PartialSignature>,
    pubkeys: Vec<[u8; 33]>,
}

/// Runs nonce generation, nonce aggregation and signing for every signer. Returns `None`
/// for the negligible-probability inputs that are not valid (secret key ≥ n, tweak ≥ n).
fn sign_round(r: &Round) -> Option<Signed> {
    let mut signers: Vec<([u8; 32], [u8; 33], [u8; 32])> = Vec::new();
    for (sk, rand) in r.sks.iter().zip(&r.rands) {
        signers.push((*sk, individual_pk(sk).ok()?, *rand));
    }
    let mut pubkeys: Vec<[u8; 33]> = signers.iter().map(|s| s.1).collect();
    if r.sort_keys {
        pubkeys = key_sort(&pubkeys);
        signers.sort_by_key(|s| s.1);
    }
    let mut key_ctx = KeyAggContext::new(&pubkeys)
        .ok()?
        .with_tweaks(&r.tweaks)
        .ok()?;
    if let Some(root) = &r.taproot {
        taproot::apply_taproot_tweak(&mut key_ctx, root.as_ref()).ok()?;
    }
    let aggpk = key_ctx.xonly_public_key();
    let (secnonces, pubnonces): (Vec<_>, Vec<_>) = signers
        .iter()
        .map(|(sk, pk, rand)| {
            let inputs = NonceGenInputs {
                sk: Some(sk),
                aggpk: Some(&aggpk),
                msg: Some(&r.msg),
                extra_in: None,
            };
            nonce_gen(rand, pk, inputs).unwrap()
        })
        .unzip();
    let encoded: Vec<[u8; 66]> = pubnonces.iter().map(|n| *n.as_bytes()).collect();
    let aggnonce = nonce_agg(&encoded).unwrap();
    let session = SessionContext::new(&key_ctx, &aggnonce, &r.msg);
    let psigs = secnonces
        .into_iter()
        .zip(&signers)
        .map(|(secnonce, (sk, _, _))| session.sign(secnonce, sk).unwrap())
        .collect();
    Some(Signed {
        key_ctx,
        pubnonces,
        session,
        psigs,
        pubkeys,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// sign → verify every partial signature → aggregate → BIP-340 verify.
    #[test]
    fn full_round_produces_a_valid_bip340_signature(r in round()) {
        let Some(s) = sign_round(&r) else {
            return Err(TestCaseError::reject("invalid key or tweak (negligible probability)"));
        };
        for (i, (psig, pubnonce)) in s.psigs.iter().zip(&s.pubnonces).enumerate() {
            prop_assert_eq!(s.session.partial_sig_verify(psig, pubnonce, i), Ok(()));
        }
        // The stateless, byte-level PartialSigVerify agrees for the last signer.
        let last = s.psigs.len() - 1;
        let mut tweaks = r.tweaks.clone();
        if let Some(root) = &r.taproot {
            let mut plain = KeyAggContext::new(&s.pubkeys).unwrap().with_tweaks(&r.tweaks).unwrap();
            let internal = plain.xonly_public_key();
            taproot::apply_taproot_tweak(&mut plain, root.as_ref()).unwrap();
            prop_assert_eq!(plain.xonly_public_key(), s.key_ctx.xonly_public_key());
            tweaks.push(Tweak::xonly(taproot::tap_tweak(&internal, root.as_ref())));
        }
        let nonces: Vec<&[u8]> = s.pubnonces.iter().map(|n| n.as_bytes().as_slice()).collect();
        prop_assert_eq!(
            partial_sig_verify(&s.psigs[last].to_bytes(), &nonces, &s.pubkeys, &tweaks, &r.msg, last),
            Ok(())
        );
        let sig = s.session.partial_sig_agg(&s.psigs);
        prop_assert!(bip340::verify(&s.key_ctx.xonly_public_key(), &r.msg, &sig));
        let encoded: Vec<[u8; 32]> = s.psigs.iter().map(PartialSignature::to_bytes).collect();
        prop_assert_eq!(partial_sig_agg(&encoded, &s.session), Ok(sig));
    }

    /// A corrupted partial signature is blamed on its signer and on no one else.
    #[test]
    fn wrong_partial_signature_blames_its_signer(
        r in round(),
        culprit in any::<prop::sample::Index>(),
        bit in 0usize..256,
    ) {
        let Some(s) = sign_round(&r) else {
            return Err(TestCaseError::reject("invalid key or tweak (negligible probability)"));
        };
        let j = culprit.index(s.psigs.len());
        let mut bytes = s.psigs[j].to_bytes();
        bytes[bit / 8] ^= 1 << (bit % 8);
        let blamed = Err(Error::InvalidContribution {
            signer: Some(j),
            contrib: Contribution::PartialSig,
        });
        match PartialSignature::from_bytes(&bytes) {
            Ok(bad) => {
                for (i, pubnonce) in s.pubnonces.iter().enumerate() {
                    let psig = if i == j { &bad } else { &s.psigs[i] };
                    let expected = if i == j { blamed.clone() } else { Ok(()) };
                    prop_assert_eq!(s.session.partial_sig_verify(psig, pubnonce, i), expected);
                }
                let mut psigs = s.psigs.clone();
                psigs[j] = bad;
                let sig = s.session.partial_sig_agg(&psigs);
                prop_assert!(!bip340::verify(&s.key_ctx.xonly_public_key(), &r.msg, &sig));
            }
            Err(_) => {
                // The flipped bit pushed the value past n: aggregation itself blames j.
                let mut encoded: Vec<[u8; 32]> =
                    s.psigs.iter().map(PartialSignature::to_bytes).collect();
                encoded[j] = bytes;
                prop_assert_eq!(partial_sig_agg(&encoded, &s.session).map(|_| ()), blamed);
            }
        }
        // A signer's partial signature checked against another signer's nonce and key fails
        // and blames the signer it was attributed to.
        if s.psigs.len() > 1 {
            let other = (j + 1) % s.psigs.len();
            if s.pubkeys[other] != s.pubkeys[j] {
                prop_assert_eq!(
                    s.session.partial_sig_verify(&s.psigs[j], &s.pubnonces[other], other),
                    Err(Error::InvalidContribution {
                        signer: Some(other),
                        contrib: Contribution::PartialSig,
                    })
                );
            }
        }
    }
}

/// Arbitrary bytes, biased towards the lengths the decoders expect and towards valid points.
fn blob(len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..=2 * len),
        prop::collection::vec(any::<u8>(), len),
        (any::<[u8; 32]>(), any::<bool>()).prop_map(move |(x, odd)| {
            let mut v = vec![if odd { 3 } else { 2 }];
            v.extend_from_slice(&x);
            v.resize(len, 0);
            v
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Decoders of untrusted bytes never panic, blame the right contribution, and re-encode
    /// what they accept unchanged.
    #[test]
    fn decoders_reject_or_round_trip(
        key_a in blob(33),
        key_b in blob(33),
        nonce in blob(66),
        agg in blob(66),
        psig in blob(32),
        msg in prop::collection::vec(any::<u8>(), 0..=64),
    ) {
        match KeyAggContext::new(&[key_a.as_slice(), key_b.as_slice()]) {
            Ok(ctx) => prop_assert!(ctx.pubkeys().map(|k| k.to_vec()).eq([key_a.clone(), key_b.clone()])),
            Err(Error::InvalidContribution { signer: Some(i), contrib: Contribution::PubKey }) => {
                prop_assert!(i < 2)
            }
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
        match PubNonce::from_bytes(&nonce) {
            Ok(n) => prop_assert_eq!(n.as_bytes().to_vec(), nonce.clone()),
            Err(e) => prop_assert_eq!(e, Error::InvalidContribution { signer: None, contrib: Contribution::PubNonce }),
        }
        match nonce_agg(&[nonce.as_slice()]) {
            Ok(a) => prop_assert_eq!(a.as_bytes().to_vec(), nonce.clone()),
            Err(e) => prop_assert_eq!(e, Error::InvalidContribution { signer: Some(0), contrib: Contribution::PubNonce }),
        }
        match AggNonce::from_bytes(&agg) {
            Ok(a) => prop_assert_eq!(a.as_bytes().to_vec(), agg.clone()),
            Err(e) => prop_assert_eq!(e, Error::InvalidContribution { signer: None, contrib: Contribution::AggNonce }),
        }
        match PartialSignature::from_bytes(&psig) {
            Ok(p) => prop_assert_eq!(p.to_bytes().to_vec(), psig.clone()),
            Err(e) => prop_assert_eq!(e, Error::InvalidContribution { signer: None, contrib: Contribution::PartialSig }),
        }
        // The stateless entry points take everything as bytes and must not panic either.
        let sk = [7u8; 32];
        let own = individual_pk(&sk).unwrap();
        let keys = [own.as_slice(), key_b.as_slice()];
        let _ = partial_sig_verify(&psig, &[nonce.as_slice(), agg.as_slice()], &keys, &[], &msg, 1);
        if let Ok(ctx) = KeyAggContext::new(&keys) {
            match deterministic_sign(&sk, &agg, &ctx, &msg, None) {
                Ok(_) => {}
                Err(e) => prop_assert_eq!(e, Error::InvalidContribution { signer: None, contrib: Contribution::AggOtherNonce }),
            }
        }
    }
}
