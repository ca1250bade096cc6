//! BIP-327 decoders and the operations that consume decoded contributions: public and
//! aggregate nonces, partial signatures, secret nonces, key lists, tweaks, sessions and
//! deterministic signing, fed with arbitrary bytes. Beyond "never panics" it checks that
//! whatever parses re-encodes to the same bytes, and that an honest round built from
//! fuzz-chosen keys, tweaks and message always verifies.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_crypto::bip327::{self, AggNonce, KeyAggContext, PartialSignature, PubNonce, Tweak};
use musig2_crypto::{bip340, SecNonce};
use musig2_p2p_fuzz::{any_secret, bytes_up_to, flip_bit, maybe_wrong_len, rest, small_secret};

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    match u.int_in_range(0..=8u8)? {
        0 => pubnonce(rest(u)),
        1 => aggnonce(rest(u)),
        2 => psig(rest(u)),
        3 => secnonce(rest(u)),
        4 => key_agg(u)?,
        5 => nonce_agg(u)?,
        6 => session_with_arbitrary_contributions(u)?,
        7 => honest_round(u)?,
        _ => deterministic_sign(u)?,
    }
    Ok(())
}

fn pubnonce(bytes: &[u8]) {
    if let Ok(n) = PubNonce::from_bytes(bytes) {
        assert_eq!(n.as_bytes().as_slice(), bytes);
        // Two valid points are also a valid aggregate nonce.
        let agg = AggNonce::from_bytes(bytes).expect("a public nonce is an aggregate nonce");
        assert_eq!(agg.as_bytes(), n.as_bytes());
    }
}

fn aggnonce(bytes: &[u8]) {
    if let Ok(n) = AggNonce::from_bytes(bytes) {
        assert_eq!(n.as_bytes().as_slice(), bytes);
    }
}

fn psig(bytes: &[u8]) {
    if let Ok(p) = PartialSignature::from_bytes(bytes) {
        assert_eq!(p.to_bytes().as_slice(), bytes);
    }
}

fn secnonce(bytes: &[u8]) {
    if let Ok(s) = SecNonce::dangerous_from_bytes(bytes) {
        assert_eq!(s.dangerous_to_bytes().as_slice(), bytes);
        assert_eq!(s.public_key().as_slice(), &bytes[64..]);
    }
}

/// A 33-byte key: usually a valid one derived from a small secret, else raw bytes.
fn any_key(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    if u.ratio(3, 4)? {
        let sk = small_secret(u.arbitrary()?);
        Ok(bip327::individual_pk(&sk)
            .expect("small secrets are valid")
            .to_vec())
    } else {
        maybe_wrong_len::<33>(u)
    }
}

fn any_tweaks(u: &mut Unstructured<'_>) -> Result<Vec<Tweak>> {
    let n = u.int_in_range(0..=3)?;
    (0..n)
        .map(|_| {
            Ok(Tweak {
                bytes: u.arbitrary()?,
                is_xonly: u.arbitrary()?,
            })
        })
        .collect()
}

fn key_agg(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=8)?;
    let keys = (0..n).map(|_| any_key(u)).collect::<Result<Vec<_>>>()?;
    let tweaks = any_tweaks(u)?;
    let Ok(ctx) = KeyAggContext::new(&keys) else {
        return Ok(());
    };
    assert_eq!(ctx.len(), n);
    for (held, given) in ctx.pubkeys().zip(&keys) {
        assert_eq!(held.as_slice(), given.as_slice());
    }
    let plain = ctx.plain_public_key();
    assert_eq!(&plain[1..], ctx.xonly_public_key().as_slice());
    if let Ok(tweaked) = ctx.with_tweaks(&tweaks) {
        let _ = tweaked.xonly_public_key();
    }
    let arrays: Vec<[u8; 33]> = keys
        .iter()
        .filter_map(|k| k.as_slice().try_into().ok())
        .collect();
    let sorted = bip327::key_sort(&arrays);
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(sorted.len(), arrays.len());
    Ok(())
}

/// A 66-byte public nonce: usually an honest one, else raw bytes.
fn any_pubnonce(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    if u.ratio(1, 2)? {
        let sk = small_secret(u.arbitrary()?);
        let pk = bip327::individual_pk(&sk).expect("small secrets are valid");
        let rand: [u8; 32] = u.arbitrary()?;
        let (_, n) = bip327::nonce_gen(&rand, &pk, bip327::NonceGenInputs::default())
            .expect("nonce generation");
        Ok(n.as_bytes().to_vec())
    } else {
        maybe_wrong_len::<66>(u)
    }
}

fn nonce_agg(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=6)?;
    let nonces = (0..n)
        .map(|_| any_pubnonce(u))
        .collect::<Result<Vec<_>>>()?;
    if let Ok(agg) = bip327::nonce_agg(&nonces) {
        let parsed: Vec<PubNonce> = nonces
            .iter()
            .map(|b| PubNonce::from_bytes(b).expect("aggregated nonces parse"))
            .collect();
        assert_eq!(AggNonce::sum(&parsed).expect("non-empty"), agg);
        let again = AggNonce::from_bytes(agg.as_bytes()).expect("an aggregate re-parses");
        assert_eq!(again, agg);
    }
    Ok(())
}

fn session_with_arbitrary_contributions(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(1..=4)?;
    let keys = (0..n).map(|_| any_key(u)).collect::<Result<Vec<_>>>()?;
    let nonces = (0..n)
        .map(|_| any_pubnonce(u))
        .collect::<Result<Vec<_>>>()?;
    let tweaks = any_tweaks(u)?;
    let psig_bytes = maybe_wrong_len::<32>(u)?;
    let index = u.int_in_range(0..=n + 1)?;
    let msg = bytes_up_to(u, 64)?;
    // The free function parses everything itself.
    let _ = bip327::partial_sig_verify(&psig_bytes, &nonces, &keys, &tweaks, msg, index);
    // The long-lived path, with an aggregate nonce that may be infinity or garbage.
    let Ok(ctx) = KeyAggContext::new(&keys).and_then(|c| c.with_tweaks(&tweaks)) else {
        return Ok(());
    };
    let agg = if u.ratio(1, 2)? {
        bip327::nonce_agg(&nonces).ok()
    } else {
        AggNonce::from_bytes(&maybe_wrong_len::<66>(u)?).ok()
    };
    let Some(agg) = agg else { return Ok(()) };
    let session = bip327::SessionContext::new(&ctx, &agg, msg);
    if let (Ok(p), Some(Ok(nonce))) = (
        PartialSignature::from_bytes(&psig_bytes),
        nonces.get(index % n).map(|b| PubNonce::from_bytes(b)),
    ) {
        let _ = session.partial_sig_verify(&p, &nonce, index);
    }
    let psigs: Vec<Vec<u8>> = (0..n)
        .map(|_| maybe_wrong_len::<32>(u))
        .collect::<Result<_>>()?;
    let _ = bip327::partial_sig_agg(&psigs, &session);
    // Signing with an imported secret nonce that may not match the key.
    let sec = SecNonce::dangerous_from_bytes(&u.arbitrary::<[u8; 97]>()?);
    if let Ok(sec) = sec {
        let _ = session.sign(sec, &any_secret(u)?);
    }
    Ok(())
}

fn honest_round(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(1..=4)?;
    let sks: Vec<[u8; 32]> = (0..n)
        .map(|_| Ok(small_secret(u.arbitrary()?)))
        .collect::<Result<_>>()?;
    let pks: Vec<[u8; 33]> = sks
        .iter()
        .map(|sk| bip327::individual_pk(sk).expect("valid"))
        .collect();
    let tweaks = any_tweaks(u)?;
    let msg = bytes_up_to(u, 64)?.to_vec();
    let Ok(ctx) = KeyAggContext::new(&pks).and_then(|c| c.with_tweaks(&tweaks)) else {
        return Ok(());
    };
    let mut secs = Vec::new();
    let mut pubs = Vec::new();
    for (sk, pk) in sks.iter().zip(&pks) {
        let rand: [u8; 32] = u.arbitrary()?;
        let inputs = bip327::NonceGenInputs {
            sk: Some(sk),
            msg: Some(&msg),
            ..Default::default()
        };
        let (s, p) = bip327::nonce_gen(&rand, pk, inputs).expect("nonce generation");
        secs.push(s);
        pubs.push(p);
    }
    let agg = AggNonce::sum(&pubs).expect("non-empty");
    let session = bip327::SessionContext::new(&ctx, &agg, &msg);
    let mut psigs = Vec::new();
    for (i, (sec, sk)) in secs.into_iter().zip(&sks).enumerate() {
        let p = session.sign(sec, sk).expect("honest signing succeeds");
        session
            .partial_sig_verify(&p, &pubs[i], i)
            .expect("honest partial signature verifies");
        psigs.push(p);
    }
    let sig = session.partial_sig_agg(&psigs);
    assert!(
        bip340::verify(&ctx.xonly_public_key(), &msg, &sig),
        "honest signature must verify"
    );
    // Any change to one partial signature must be caught and blamed on its signer.
    let i = u.int_in_range(0..=n - 1)?;
    let mut bad = psigs[i].to_bytes();
    if flip_bit(u, &mut bad)? {
        if let Ok(p) = PartialSignature::from_bytes(&bad) {
            assert!(
                session.partial_sig_verify(&p, &pubs[i], i).is_err(),
                "tampered psig accepted"
            );
        }
    }
    Ok(())
}

fn deterministic_sign(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(1..=3)?;
    let keys = (0..n).map(|_| any_key(u)).collect::<Result<Vec<_>>>()?;
    let sk = any_secret(u)?;
    let other = any_pubnonce(u)?;
    let msg = bytes_up_to(u, 64)?;
    let rand: Option<[u8; 32]> = u.arbitrary()?;
    if let Ok(ctx) = KeyAggContext::new(&keys) {
        let _ = bip327::deterministic_sign(&sk, &other, &ctx, msg, rand.as_ref());
    }
    Ok(())
}
