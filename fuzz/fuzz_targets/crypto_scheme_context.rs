//! The scheme-generic API the session layer uses (`scheme::SigningContext` and
//! `SigningSession`) for both schemes, with a mix of honest and arbitrary public nonces,
//! aggregate nonces, partial signatures, signer keys and messages. Whatever an honest signer
//! contributes must verify; anything else must be an error, never a panic.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_crypto::scheme::{
    AggNonce, PartialSignature, PubNonce, PublicKey, Scheme, SecretKey, SigningContext, Tweak,
};
use musig2_p2p_fuzz::{bytes_up_to, maybe_wrong_len, small_secret};

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let scheme = if u.arbitrary()? {
        Scheme::Lotus
    } else {
        Scheme::Bip327
    };
    let n = u.int_in_range(1..=4)?;
    let sks: Vec<SecretKey> = (0..n)
        .map(|_| Ok(SecretKey::from_bytes(&small_secret(u.arbitrary()?)).expect("valid")))
        .collect::<Result<_>>()?;
    let pks: Vec<PublicKey> = sks.iter().map(SecretKey::public_key).collect();
    let tweak = match u.int_in_range(0..=2u8)? {
        0 => Tweak::None,
        1 => Tweak::Taproot { merkle_root: None },
        _ => Tweak::Taproot {
            merkle_root: Some(u.arbitrary()?),
        },
    };
    let msg = if scheme == Scheme::Lotus && u.ratio(7, 8)? {
        u.arbitrary::<[u8; 32]>()?.to_vec()
    } else {
        bytes_up_to(u, 64)?.to_vec()
    };
    // Duplicate keys are a different story in each scheme: keep the honest path simple.
    let distinct = {
        let mut k: Vec<[u8; 33]> = pks.iter().map(PublicKey::to_bytes).collect();
        k.sort_unstable();
        k.windows(2).all(|w| w[0] != w[1])
    };
    let Ok(ctx) = SigningContext::new(scheme, &pks, tweak) else {
        return Ok(());
    };
    assert_eq!(ctx.scheme(), scheme);

    // Round 1: each signer is honest or sends arbitrary bytes in place of its nonce.
    let mut secs = Vec::new();
    let mut pubs = Vec::new();
    let mut honest = Vec::new();
    for sk in &sks {
        let rand: [u8; 32] = u.arbitrary()?;
        let Ok((sec, public)) = ctx.nonce_gen(sk, &msg, rand) else {
            assert!(scheme == Scheme::Lotus && msg.len() != 32);
            return Ok(());
        };
        let is_honest = u.ratio(3, 4)?;
        let public = if is_honest {
            public
        } else {
            PubNonce::from_bytes(&u.arbitrary::<[u8; 66]>()?).expect("66 bytes")
        };
        secs.push(sec);
        pubs.push(public);
        honest.push(is_honest);
    }
    let agg = match ctx.nonce_agg(&pubs) {
        Ok(agg) => agg,
        Err(_) => {
            assert!(honest.contains(&false), "honest nonces failed to aggregate");
            AggNonce::from_bytes(&u.arbitrary::<[u8; 66]>()?).expect("66 bytes")
        }
    };
    let Ok(session) = ctx.session(&agg, &msg) else {
        return Ok(());
    };

    // Round 2: honest partial signatures, or arbitrary scalars.
    let nonces_honest = honest.iter().all(|&h| h) && distinct;
    let mut psigs = Vec::new();
    for (i, (sec, sk)) in secs.into_iter().zip(&sks).enumerate() {
        let signed = session.sign(sec, sk);
        if nonces_honest {
            assert!(signed.is_ok(), "honest signing failed: {signed:?}");
        }
        let psig = match (u.ratio(3, 4)?, signed) {
            (true, Ok(p)) => p,
            _ => {
                honest[i] = false;
                PartialSignature::from_bytes(&u.arbitrary::<[u8; 32]>()?).expect("32 bytes")
            }
        };
        let verified = session.partial_verify(&psig, &pubs[i], &pks[i]);
        if honest.iter().all(|&h| h) && distinct {
            verified.expect("honest partial signature verifies");
        }
        psigs.push(psig);
    }
    // An arbitrary key, nonce and partial signature against the session.
    let stranger = maybe_wrong_len::<33>(u)?;
    if let Ok(pk) = PublicKey::from_bytes(&stranger) {
        let n = PubNonce::from_bytes(&u.arbitrary::<[u8; 66]>()?).expect("66");
        let p = PartialSignature::from_bytes(&u.arbitrary::<[u8; 32]>()?).expect("32");
        let _ = session.partial_verify(&p, &n, &pk);
        let _ = ctx.partial_verify(&p, &n, &pk, &agg, &msg);
    }
    match session.aggregate(&psigs) {
        Ok(sig) => {
            let ok = ctx.verify(&msg, &sig);
            if honest.iter().all(|&h| h) && distinct {
                assert!(ok, "honest aggregate signature rejected");
            }
        }
        Err(_) => assert!(
            !(honest.iter().all(|&h| h) && distinct),
            "honest aggregation failed"
        ),
    }
    let _ = ctx.aggregate(&agg, &msg, &psigs[..u.int_in_range(0..=psigs.len())?]);
    Ok(())
}
