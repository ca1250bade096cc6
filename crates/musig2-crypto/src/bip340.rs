//! [BIP-340](https://github.com/bitcoin/bips/blob/master/bip-0340.mediawiki) Schnorr
//! signatures over secp256k1 with 32-byte x-only public keys and messages of any length.
//!
//! MuSig2 ([`crate::bip327`]) produces signatures that [`verify`] accepts for the aggregate
//! x-only key; [`sign`] is the single-signer algorithm.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use k256::elliptic_curve::ops::MulByGenerator;
use k256::{ProjectivePoint, Scalar};
use zeroize::Zeroizing;

use crate::curve;
use crate::error::Error;
use crate::hash::tagged_hash;

/// Length of a BIP-340 signature: `bytes(R) ‖ bytes(s)`.
pub const SIGNATURE_LEN: usize = 64;

/// The 32-byte x-only public key of a secret key ([BIP-340 "Public Key
/// Generation"](https://github.com/bitcoin/bips/blob/master/bip-0340.mediawiki#public-key-generation)).
///
/// # Errors
/// [`Error::InvalidSecretKey`] when `sk` is zero or not below the group order.
pub fn xonly_public_key(sk: &[u8; 32]) -> Result<[u8; 32], Error> {
    let d = Zeroizing::new(curve::nonzero_scalar_from_bytes(sk).ok_or(Error::InvalidSecretKey)?);
    Ok(curve::xbytes(
        &ProjectivePoint::mul_by_generator(&*d).to_affine(),
    ))
}

/// Signs `msg` (any length) with the secret key `sk`
/// ([BIP-340 "Default Signing"](https://github.com/bitcoin/bips/blob/master/bip-0340.mediawiki#default-signing)).
///
/// `aux_rand` should be 32 fresh random bytes; all zeros still gives a secure, deterministic
/// signature, but fresh randomness protects against side channels and fault attacks.
///
/// # Errors
/// [`Error::InvalidSecretKey`] when `sk` is zero or not below the group order.
///
/// # Security
/// The signature is verified before it is returned, as BIP-340 recommends, so a computation
/// fault cannot leak the secret key through a wrong signature.
pub fn sign(sk: &[u8; 32], msg: &[u8], aux_rand: &[u8; 32]) -> Result<[u8; 64], Error> {
    let d0 = Zeroizing::new(curve::nonzero_scalar_from_bytes(sk).ok_or(Error::InvalidSecretKey)?);
    let p = ProjectivePoint::mul_by_generator(&*d0).to_affine();
    let d = Zeroizing::new(curve::negate_if(*d0, !curve::has_even_y(&p)));
    let px = curve::xbytes(&p);
    let t = Zeroizing::new(curve::xor32(
        &curve::scalar_to_bytes(&d),
        &tagged_hash("BIP0340/aux", &[aux_rand]),
    ));
    let k0 = Zeroizing::new(curve::scalar_reduce(&tagged_hash(
        "BIP0340/nonce",
        &[&t[..], &px, msg],
    )));
    if bool::from(k0.is_zero()) {
        // Happens only with negligible probability (a hash output that is a multiple of n).
        return Err(Error::InvalidSecretKey);
    }
    let r = ProjectivePoint::mul_by_generator(&*k0).to_affine();
    let k = Zeroizing::new(curve::negate_if(*k0, !curve::has_even_y(&r)));
    let rx = curve::xbytes(&r);
    let e = challenge(&rx, &px, msg);
    let s = *k + e * *d;
    let mut sig = [0u8; SIGNATURE_LEN];
    let (sig_r, sig_s) = sig.split_at_mut(32);
    sig_r.copy_from_slice(&rx);
    sig_s.copy_from_slice(&curve::scalar_to_bytes(&s));
    if !verify(&px, msg, &sig) {
        return Err(Error::InvalidSignature);
    }
    Ok(sig)
}

/// Verifies a BIP-340 signature on `msg` (any length) for the x-only public key `pubkey`
/// ([BIP-340 "Verification"](https://github.com/bitcoin/bips/blob/master/bip-0340.mediawiki#verification)).
///
/// Returns `false` for every failure: a public key that is not a valid x coordinate, `r`
/// not below `p`, `s` not below `n`, or a signature that does not match.
pub fn verify(pubkey: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    let Some(p) = curve::lift_x(pubkey) else {
        return false;
    };
    let (r, s) = sig.split_at(32);
    let (Ok(r), Ok(s)) = (<&[u8; 32]>::try_from(r), <&[u8; 32]>::try_from(s)) else {
        return false;
    };
    let Some(s) = curve::scalar_from_bytes(s) else {
        return false;
    };
    let e = challenge(r, pubkey, msg);
    // R = s⋅G - e⋅P in one double-scalar multiplication; all inputs are public, so the
    // variable-time algorithm is safe.
    let big_r = curve::msm_vartime(&[(ProjectivePoint::GENERATOR, s), (p.into(), -e)]);
    if curve::is_identity(&big_r) {
        return false;
    }
    let big_r = big_r.to_affine();
    // x(R) is always below p, so an `r` that is not below p never matches.
    curve::has_even_y(&big_r) && curve::xbytes(&big_r) == *r
}

/// `e = int(hash_BIP0340/challenge(bytes(R) ‖ bytes(P) ‖ m)) mod n`.
pub(crate) fn challenge(rx: &[u8; 32], px: &[u8; 32], msg: &[u8]) -> Scalar {
    curve::scalar_reduce(&tagged_hash("BIP0340/challenge", &[rx, px, msg]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify_for_various_lengths() {
        let sk = [0x42u8; 32];
        let pk = xonly_public_key(&sk).unwrap();
        for len in [0usize, 1, 32, 33, 100] {
            let msg = vec![7u8; len];
            let sig = sign(&sk, &msg, &[1u8; 32]).unwrap();
            assert!(verify(&pk, &msg, &sig));
            let mut bad = sig;
            bad[63] ^= 1;
            assert!(!verify(&pk, &msg, &bad));
            assert!(!verify(&pk, &[msg.as_slice(), b"x"].concat(), &sig));
        }
    }

    #[test]
    fn rejects_invalid_secret_keys() {
        assert_eq!(
            sign(&[0u8; 32], b"", &[0u8; 32]),
            Err(Error::InvalidSecretKey)
        );
        assert_eq!(
            xonly_public_key(&[0xFFu8; 32]),
            Err(Error::InvalidSecretKey)
        );
    }
}
