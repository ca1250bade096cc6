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
