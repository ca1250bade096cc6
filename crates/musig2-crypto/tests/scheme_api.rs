//! The unified API: full rounds in both schemes, with and without Taproot, and blame.

use musig2_crypto::scheme::{
    PartialSignature, PubNonce, PublicKey, Scheme, SecretKey, SigningContext, Tweak,
};
use musig2_crypto::{hash::sha256, Contribution, Error};
use proptest::prelude::*;

fn keys(n: usize, seed: u8) -> Vec<SecretKey> {
    (0..n)
        .map(|i| SecretKey::from_random(sha256(&[&[seed, i as u8]])))
        .collect()
}

fn run_round(scheme: Scheme, n: usize, tweak: Tweak, seed: u8, corrupt: Option<usize>) {
    let sks = keys(n, seed);
    let pks: Vec<PublicKey> = sks.iter().map(SecretKey::public_key).collect();
    let ctx = SigningContext::new(scheme, &pks, tweak).unwrap();
    let msg = sha256(&[b"message", &[seed]]);
    let mut secnonces = Vec::new();
    let mut pubnonces = Vec::new();
    for (i, sk) in sks.iter().enumerate() {
        let (sec, public) = ctx
            .nonce_gen(sk, &msg, sha256(&[&[seed, i as u8, 0xAA]]))
            .unwrap();
        secnonces.push(sec);
        pubnonces.push(public);
    }
    let aggnonce = ctx.nonce_agg(&pubnonces).unwrap();
    let session = ctx.session(&aggnonce, &msg).unwrap();
    let mut psigs: Vec<PartialSignature> = secnonces
        .into_iter()
        .zip(&sks)
        .map(|(sec, sk)| session.sign(sec, sk).unwrap())
        .collect();
    if let Some(bad) = corrupt {
        let mut b = psigs[bad].to_bytes();
        b[31] ^= 1;
        psigs[bad] = PartialSignature::from_bytes(&b).unwrap();
    }
    for (i, psig) in psigs.iter().enumerate() {
        let result = session.partial_verify(psig, &pubnonces[i], &pks[i]);
        if Some(i) == corrupt {
            assert!(matches!(
                result,
                Err(Error::InvalidContribution {
                    contrib: Contribution::PartialSig,
                    ..
                })
            ));
        } else {
            assert_eq!(result, Ok(()), "signer {i}");
        }
    }
    let sig = session.aggregate(&psigs).unwrap();
    assert_eq!(ctx.verify(&msg, &sig), corrupt.is_none());
    let key_len = if scheme == Scheme::Lotus { 33 } else { 32 };
    assert_eq!(ctx.aggregate_key().len(), key_len);
}

#[test]
fn invalid_nonce_is_blamed_on_its_index() {
    for scheme in [Scheme::Bip327, Scheme::Lotus] {
        let sks = keys(3, 1);
        let pks: Vec<PublicKey> = sks.iter().map(SecretKey::public_key).collect();
        let ctx = SigningContext::new(scheme, &pks, Tweak::None).unwrap();
        let msg = [3u8; 32];
        let mut nonces: Vec<PubNonce> = sks
            .iter()
            .map(|sk| ctx.nonce_gen(sk, &msg, [7u8; 32]).unwrap().1)
            .collect();
        nonces[2] = PubNonce::from_bytes(&[0xffu8; 66]).unwrap();
        assert_eq!(
            ctx.nonce_agg(&nonces),
            Err(Error::InvalidContribution {
                signer: Some(2),
                contrib: Contribution::PubNonce
            })
        );
    }
}

#[test]
fn lotus_requires_32_byte_messages() {
    let sks = keys(2, 2);
    let pks: Vec<PublicKey> = sks.iter().map(SecretKey::public_key).collect();
    let ctx = SigningContext::new(Scheme::Lotus, &pks, Tweak::None).unwrap();
    assert_eq!(
        ctx.nonce_gen(&sks[0], b"short", [0u8; 32]).err(),
        Some(Error::WrongLength {
            expected: 32,
            got: 5
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn rounds_verify_in_both_schemes(
        lotus in any::<bool>(),
        n in 1usize..=6,
        taproot in 0u8..3,
        seed in any::<u8>(),
        corrupt in proptest::option::of(0usize..6),
    ) {
        let scheme = if lotus { Scheme::Lotus } else { Scheme::Bip327 };
        let tweak = match taproot {
            0 => Tweak::None,
            1 => Tweak::Taproot { merkle_root: None },
            _ => Tweak::Taproot { merkle_root: Some([seed; 32]) },
        };
        run_round(scheme, n, tweak, seed, corrupt.filter(|c| *c < n));
    }
}

#[test]
fn an_invalid_key_is_blamed_by_its_position_in_the_callers_list() {
    let good = SecretKey::from_random([4u8; 32]).public_key().to_bytes();
    let mut bad = [0u8; 33];
    bad[0] = 2; // x = 0 is not on the curve; it also sorts before every valid key
    for scheme in [Scheme::Bip327, Scheme::Lotus] {
        assert_eq!(
            SigningContext::from_key_bytes(scheme, &[good, bad], Tweak::None).err(),
            Some(Error::InvalidContribution {
                signer: Some(1),
                contrib: Contribution::PubKey
            }),
            "{scheme:?}"
        );
    }
}

#[test]
fn tweaked_rounds_verify_under_the_tweaked_key() {
    let sks = keys(3, 9);
    let pks: Vec<PublicKey> = sks.iter().map(SecretKey::public_key).collect();
    let raw: Vec<[u8; 33]> = pks.iter().map(PublicKey::to_bytes).collect();
    let untweaked = SigningContext::from_key_bytes(Scheme::Bip327, &raw, Tweak::None).unwrap();
    let mut ctx = untweaked.clone();
    ctx.apply_tweak(&[1u8; 32], false).unwrap();
    ctx.apply_tweak(&[2u8; 32], true).unwrap();
    assert_ne!(ctx.aggregate_key(), untweaked.aggregate_key());
    assert_eq!(ctx.plain_aggregate_key()[1..], ctx.aggregate_key()[..]);
    // An out-of-range tweak fails and leaves the context as it was.
    let before = ctx.aggregate_key();
    assert_eq!(
        ctx.apply_tweak(&[0xff; 32], true),
        Err(Error::TweakOutOfRange)
    );
    assert_eq!(ctx.aggregate_key(), before);

    let msg = [5u8; 32];
    let (secs, pubs): (Vec<_>, Vec<_>) = sks
        .iter()
        .enumerate()
        .map(|(i, sk)| ctx.nonce_gen(sk, &msg, [i as u8; 32]).unwrap())
        .unzip();
    let agg = ctx.nonce_agg(&pubs).unwrap();
    let session = ctx.session(&agg, &msg).unwrap();
    let psigs: Vec<PartialSignature> = secs
        .into_iter()
        .zip(&sks)
        .map(|(sec, sk)| session.sign(sec, sk).unwrap())
        .collect();
    for (i, psig) in psigs.iter().enumerate() {
        assert_eq!(session.partial_verify(psig, &pubs[i], &pks[i]), Ok(()));
    }
    let sig = session.aggregate(&psigs).unwrap();
    assert!(ctx.verify(&msg, &sig));
    assert!(!untweaked.verify(&msg, &sig));
}

#[test]
fn one_signer_can_sign_deterministically_last() {
    let sks = keys(3, 11);
    let pks: Vec<PublicKey> = sks.iter().map(SecretKey::public_key).collect();
    let ctx =
        SigningContext::new(Scheme::Bip327, &pks, Tweak::Taproot { merkle_root: None }).unwrap();
    let msg = b"deterministic";
    let (secs, mut pubs): (Vec<_>, Vec<_>) = sks[..2]
        .iter()
        .enumerate()
        .map(|(i, sk)| ctx.nonce_gen(sk, msg, [i as u8 + 1; 32]).unwrap())
        .unzip();
    let others = ctx.nonce_agg(&pubs).unwrap();
    let (det_pub, det_psig) = ctx.deterministic_sign(&sks[2], &others, msg, None).unwrap();
    // Deterministic: the same inputs give the same nonce and signature.
    assert_eq!(
        ctx.deterministic_sign(&sks[2], &others, msg, None).unwrap(),
        (det_pub, det_psig)
    );
    pubs.push(det_pub);
    let agg = ctx.nonce_agg(&pubs).unwrap();
    let session = ctx.session(&agg, msg).unwrap();
    let mut psigs: Vec<PartialSignature> = secs
        .into_iter()
        .zip(&sks)
        .map(|(sec, sk)| session.sign(sec, sk).unwrap())
        .collect();
    psigs.push(det_psig);
    for (i, psig) in psigs.iter().enumerate() {
        assert_eq!(session.partial_verify(psig, &pubs[i], &pks[i]), Ok(()));
    }
    assert!(ctx.verify(msg, &session.aggregate(&psigs).unwrap()));

    let bad_other = PubNonce::from_bytes(&[0u8; 66]).unwrap().to_bytes();
    assert_eq!(
        ctx.deterministic_sign(
            &sks[2],
            &musig2_crypto::scheme::AggNonce::from_bytes(&bad_other).unwrap(),
            msg,
            None
        ),
        Err(Error::InvalidContribution {
            signer: None,
            contrib: Contribution::AggOtherNonce
        })
    );
    let stranger = SecretKey::from_random([77u8; 32]);
    assert_eq!(
        ctx.deterministic_sign(&stranger, &others, msg, Some(&[3u8; 32])),
        Err(Error::SignerNotInKeys)
    );
}

#[test]
fn lotus_refuses_what_its_specification_does_not_define() {
    let sks = keys(2, 12);
    let raw: Vec<[u8; 33]> = sks.iter().map(|sk| sk.public_key().to_bytes()).collect();
    let mut ctx = SigningContext::from_key_bytes(Scheme::Lotus, &raw, Tweak::None).unwrap();
    assert_eq!(ctx.apply_tweak(&[1u8; 32], false), Err(Error::Unsupported));
    assert_eq!(ctx.apply_tweak(&[1u8; 32], true), Err(Error::Unsupported));
    let other = ctx.nonce_gen(&sks[0], &[0u8; 32], [1u8; 32]).unwrap().1;
    let other = ctx.nonce_agg(&[other]).unwrap();
    assert_eq!(
        ctx.deterministic_sign(&sks[1], &other, &[0u8; 32], None),
        Err(Error::Unsupported)
    );
    assert_eq!(
        SigningContext::from_key_bytes_in_order(Scheme::Lotus, &raw, Tweak::None).err(),
        Some(Error::Unsupported)
    );
    assert_eq!(ctx.plain_aggregate_key().to_vec(), ctx.aggregate_key());
}

#[test]
fn in_order_aggregation_skips_key_sort() {
    let raw: Vec<[u8; 33]> = keys(3, 13)
        .iter()
        .map(|sk| sk.public_key().to_bytes())
        .collect();
    let mut sorted = raw.clone();
    sorted.sort();
    let mut reversed = sorted.clone();
    reversed.reverse();
    let key = |keys: &[[u8; 33]]| {
        SigningContext::from_key_bytes_in_order(Scheme::Bip327, keys, Tweak::None)
            .unwrap()
            .aggregate_key()
    };
    let sorting = SigningContext::from_key_bytes(Scheme::Bip327, &reversed, Tweak::None)
        .unwrap()
        .aggregate_key();
    assert_eq!(key(&sorted), sorting);
    assert_ne!(key(&reversed), sorting);
}
