//! Lotus MuSig2 decoders and the operations that consume decoded contributions: public and
//! aggregate nonces, partial signatures, key lists, Taproot tweaks and sessions, fed with
//! arbitrary bytes. Beyond "never panics" it checks that whatever parses re-encodes to the
//! same bytes, and that an honest round over fuzz-chosen keys (duplicates included), Taproot
//! root and message verifies through both the session and the free-function paths.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_crypto::lotus::{self, AggNonce, KeyAggContext, PartialSignature, PubNonce};
use musig2_p2p_fuzz::{any_secret, flip_bit, maybe_wrong_len, rest, small_secret};

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    match u.int_in_range(0..=6u8)? {
        0 => pubnonce(rest(u)),
        1 => aggnonce(rest(u)),
        2 => psig(rest(u)),
        3 => key_agg(u)?,
        4 => nonce_agg(u)?,
        5 => session_with_arbitrary_contributions(u)?,
        _ => honest_round(u)?,
    }
    Ok(())
}

fn pubnonce(bytes: &[u8]) {
    if let Ok(n) = PubNonce::from_bytes(bytes) {
        assert_eq!(n.to_bytes().as_slice(), bytes);
    }
}

fn aggnonce(bytes: &[u8]) {
    if let Ok(n) = AggNonce::from_bytes(bytes) {
        assert_eq!(n.to_bytes().as_slice(), bytes);
    }
}

fn psig(bytes: &[u8]) {
    if let Ok(p) = PartialSignature::from_bytes(bytes) {
        assert_eq!(p.to_bytes().as_slice(), bytes);
    }
}

/// A 33-byte key: usually a valid one derived from a small secret, else raw bytes.
fn any_key(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    if u.ratio(3, 4)? {
        let sk = small_secret(u.arbitrary()?);
        Ok(lotus::public_key(&sk)
            .expect("small secrets are valid")
            .to_vec())
    } else {
        maybe_wrong_len::<33>(u)
    }
}

fn any_context(u: &mut Unstructured<'_>, keys: &[Vec<u8>]) -> Result<Option<KeyAggContext>> {
    let taproot: Option<Option<[u8; 32]>> = u.arbitrary()?;
    let ctx = KeyAggContext::new(keys).and_then(|c| match taproot {
        Some(root) => c.with_taproot(root.as_ref()),
        None => Ok(c),
    });
    Ok(ctx.ok())
}

fn key_agg(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=8)?;
    let keys = (0..n).map(|_| any_key(u)).collect::<Result<Vec<_>>>()?;
    let Some(ctx) = any_context(u, &keys)? else {
        return Ok(());
    };
    assert_eq!(ctx.signer_count(), n);
    // Sorted, and a permutation of the input.
    assert!(ctx.pubkeys().windows(2).all(|w| w[0] <= w[1]));
    for (pos, &input) in ctx.sorted_order().iter().enumerate() {
        assert_eq!(ctx.pubkeys()[pos].as_slice(), keys[input].as_slice());
    }
    for key in &keys {
        let pos = ctx
            .signer_index(key)
            .expect("every input key has a position");
        assert_eq!(ctx.pubkeys()[pos].as_slice(), key.as_slice());
        assert!(ctx.coefficient(pos).is_some());
    }
    assert!(ctx.coefficient(n).is_none());
    let _ = (
        ctx.aggregate_pubkey(),
        ctx.script_pubkey(),
        ctx.key_list_hash(),
    );
    Ok(())
}

/// A 66-byte public nonce: usually an honest one, else raw bytes.
fn any_pubnonce(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    if u.ratio(1, 2)? {
        let sk = small_secret(u.arbitrary()?);
        let agg: [u8; 33] = u.arbitrary()?;
        let extra: [u8; 32] = u.arbitrary()?;
        let (_, n) = lotus::nonce_gen(&sk, &agg, None, Some(&extra)).expect("nonce generation");
        Ok(n.to_bytes().to_vec())
    } else {
        maybe_wrong_len::<66>(u)
    }
}

fn parse_all(raw: &[Vec<u8>]) -> Option<Vec<PubNonce>> {
    raw.iter().map(|b| PubNonce::from_bytes(b).ok()).collect()
}

fn nonce_agg(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=6)?;
    let raw = (0..n)
        .map(|_| any_pubnonce(u))
        .collect::<Result<Vec<_>>>()?;
    if let Some(nonces) = parse_all(&raw) {
        if let Ok(agg) = lotus::nonce_agg(&nonces) {
            let again = AggNonce::from_bytes(&agg.to_bytes()).expect("an aggregate re-parses");
            assert_eq!(again, agg);
            // Order does not matter.
            let rev: Vec<PubNonce> = nonces.iter().rev().cloned().collect();
            assert_eq!(lotus::nonce_agg(&rev).expect("same sum"), agg);
        }
    }
    Ok(())
}

fn session_with_arbitrary_contributions(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(1..=4)?;
    let keys = (0..n).map(|_| any_key(u)).collect::<Result<Vec<_>>>()?;
    let raw = (0..n)
        .map(|_| any_pubnonce(u))
        .collect::<Result<Vec<_>>>()?;
    let msg = maybe_wrong_len::<32>(u)?;
    let psig_raw = maybe_wrong_len::<32>(u)?;
    let index = u.int_in_range(0..=n + 1)?;
    let Some(ctx) = any_context(u, &keys)? else {
        return Ok(());
    };
    let nonces = parse_all(&raw);
    let psig = PartialSignature::from_bytes(&psig_raw).ok();
    if let (Some(nonces), Some(p)) = (&nonces, &psig) {
        let _ = lotus::partial_sig_verify(p, nonces, &ctx, &msg, index);
    }
    let agg = match (&nonces, u.ratio(1, 2)?) {
        (Some(nonces), true) => lotus::nonce_agg(nonces).ok(),
        _ => AggNonce::from_bytes(&maybe_wrong_len::<66>(u)?).ok(),
    };
    let Some(agg) = agg else { return Ok(()) };
    let psigs: Vec<PartialSignature> = (0..u.int_in_range(0..=n + 1)?)
        .filter_map(|_| u.arbitrary::<[u8; 32]>().ok())
        .filter_map(|b| PartialSignature::from_bytes(&b).ok())
        .collect();
    let _ = lotus::partial_sig_agg(&psigs, &ctx, &agg, &msg);
    let Ok(session) = lotus::SessionContext::new(&ctx, &agg, &msg) else {
        return Ok(());
    };
    if let (Some(p), Some(Some(nonce))) = (&psig, nonces.as_ref().map(|v| v.get(index % n))) {
        let _ = session.partial_sig_verify(p, nonce, index);
    }
    let _ = session.partial_sig_agg(&psigs);
    if let Ok(sec) = musig2_crypto::SecNonce::dangerous_from_bytes(&u.arbitrary::<[u8; 97]>()?) {
        let at: Option<usize> = u.arbitrary::<Option<u8>>()?.map(usize::from);
        let _ = session.sign(sec, &any_secret(u)?, at);
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
        .map(|sk| lotus::public_key(sk).expect("valid"))
        .collect();
    let msg: [u8; 32] = u.arbitrary()?;
    let root: Option<Option<[u8; 32]>> = u.arbitrary()?;
    let Ok(mut ctx) = KeyAggContext::new(&pks) else {
        return Ok(());
    };
    if let Some(root) = root {
        match ctx.with_taproot(root.as_ref()) {
            Ok(c) => ctx = c,
            Err(_) => return Ok(()),
        }
    }
    let internal = ctx.internal_pubkey();
    // One nonce per sorted position; duplicate keys sign once per position.
    let mut secs = Vec::new();
    let mut pubs = Vec::new();
    for &input in ctx.sorted_order() {
        let extra: [u8; 32] = u.arbitrary()?;
        let (s, p) = lotus::nonce_gen(&sks[input], &internal, Some(&msg), Some(&extra))
            .expect("nonce generation");
        secs.push((s, input));
        pubs.push(p);
    }
    let Ok(agg) = lotus::nonce_agg(&pubs) else {
        return Ok(());
    };
    let session = lotus::SessionContext::new(&ctx, &agg, &msg).expect("32-byte message");
    let mut psigs = Vec::new();
    for (pos, (sec, input)) in secs.into_iter().enumerate() {
        let p = session
            .sign(sec, &sks[input], Some(pos))
            .expect("honest signing succeeds");
        session
            .partial_sig_verify(&p, &pubs[pos], pos)
            .expect("honest psig verifies");
        lotus::partial_sig_verify(&p, &pubs, &ctx, &msg, pos).expect("free function agrees");
        psigs.push(p);
    }
    let Ok(sig) = session.partial_sig_agg(&psigs) else {
        return Ok(()); // the sum is 0: negligible
    };
    assert_eq!(
        lotus::partial_sig_agg(&psigs, &ctx, &agg, &msg).ok(),
        Some(sig)
    );
    lotus::schnorr_verify(&ctx.aggregate_pubkey(), &msg, &sig).expect("honest signature verifies");
    let pos = u.int_in_range(0..=n - 1)?;
    let mut bad = psigs[pos].to_bytes();
    if flip_bit(u, &mut bad)? {
        if let Ok(p) = PartialSignature::from_bytes(&bad) {
            assert!(
                session.partial_sig_verify(&p, &pubs[pos], pos).is_err(),
                "tampered psig accepted"
            );
        }
    }
    Ok(())
}
