//! Single-signer Schnorr verification of both schemes with arbitrary public key, message and
//! signature bytes (BIP-340 `verify`, Lotus `schnorr_verify`, the scheme-generic wrapper and
//! `scheme::PublicKey::from_bytes`). Checks too that a genuine signature by a fuzz-chosen key
//! over a fuzz-chosen message verifies, and that flipping any one bit of it is rejected.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_crypto::scheme::{self, PublicKey, Scheme, SecretKey, Signature};
use musig2_crypto::{bip340, lotus};
use musig2_p2p_fuzz::{bytes_up_to, flip_bit, maybe_wrong_len, rest, small_secret};

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    match u.int_in_range(0..=3u8)? {
        0 => arbitrary_inputs(u),
        1 => {
            public_key(rest(u));
            Ok(())
        }
        2 => genuine_then_tampered(u, Scheme::Bip327),
        _ => genuine_then_tampered(u, Scheme::Lotus),
    }
}

fn public_key(bytes: &[u8]) {
    if let Ok(pk) = PublicKey::from_bytes(bytes) {
        assert_eq!(pk.to_bytes().as_slice(), bytes);
        assert_eq!(pk.x_only().as_slice(), &bytes[1..]);
    }
}

fn arbitrary_inputs(u: &mut Unstructured<'_>) -> Result<()> {
    let xonly: [u8; 32] = u.arbitrary()?;
    let sig64: [u8; 64] = u.arbitrary()?;
    let msg = bytes_up_to(u, 80)?;
    let _ = bip340::verify(&xonly, msg, &sig64);
    let pk = maybe_wrong_len::<33>(u)?;
    let msg = maybe_wrong_len::<32>(u)?;
    let sig = maybe_wrong_len::<64>(u)?;
    let lotus_ok = lotus::schnorr_verify(&pk, &msg, &sig).is_ok();
    // The generic wrapper must agree with the scheme function on well-formed inputs.
    if let (Ok(p), Ok(m), Ok(s)) = (
        PublicKey::from_bytes(&pk),
        <[u8; 32]>::try_from(msg.as_slice()),
        Signature::from_bytes(&sig),
    ) {
        assert_eq!(scheme::schnorr_verify(Scheme::Lotus, &p, &m, &s), lotus_ok);
        let bip_ok = bip340::verify(&p.x_only(), &m, &s.to_bytes());
        assert_eq!(scheme::schnorr_verify(Scheme::Bip327, &p, &m, &s), bip_ok);
    } else {
        assert!(!lotus_ok, "malformed input accepted");
    }
    Ok(())
}

fn genuine_then_tampered(u: &mut Unstructured<'_>, scheme: Scheme) -> Result<()> {
    let sk = SecretKey::from_bytes(&small_secret(u.arbitrary()?)).expect("valid");
    let pk = sk.public_key();
    let msg: [u8; 32] = u.arbitrary()?;
    let aux: [u8; 32] = u.arbitrary()?;
    let sig = scheme::schnorr_sign(scheme, &sk, &msg, aux).expect("signing");
    assert!(
        scheme::schnorr_verify(scheme, &pk, &msg, &sig),
        "genuine signature rejected"
    );
    // Tamper with the signature, the message or the key: all must be rejected.
    let mut sig_bytes = sig.to_bytes();
    let mut msg_bytes = msg;
    let mut pk_bytes = pk.to_bytes();
    let changed = match u.int_in_range(0..=2u8)? {
        0 => flip_bit(u, &mut sig_bytes)?,
        1 => flip_bit(u, &mut msg_bytes)?,
        _ => flip_bit(u, &mut pk_bytes)?,
    };
    if !changed {
        return Ok(());
    }
    let accepted = match PublicKey::from_bytes(&pk_bytes) {
        // A flipped prefix bit 0x02 <-> 0x03 is the negated key: BIP-340 (x-only) still
        // accepts, which is by design; Lotus must not.
        Ok(p) if scheme == Scheme::Bip327 && p.x_only() == pk.x_only() => false,
        Ok(p) => scheme::schnorr_verify(
            scheme,
            &p,
            &msg_bytes,
            &Signature::from_bytes(&sig_bytes).expect("64"),
        ),
        Err(_) => false,
    };
    assert!(!accepted, "tampered signature accepted");
    Ok(())
}
