//! Single-signer Lotus Schnorr (BCH-2019 style), spec section 2.
//!
//! A signature is `bytes32(x(R)) ‖ bytes32(s)` over a 32-byte message, valid when
//! `R = s·G − e·P` has a square y and `x(R) = r`, with the untagged challenge
//! `e = SHA256(r ‖ ser33(P) ‖ m) mod n`.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use k256::elliptic_curve::group::Group;
use k256::elliptic_curve::ops::{LinearCombination, MulByGenerator};
use k256::elliptic_curve::PrimeField;
use k256::{FieldBytes, ProjectivePoint, Scalar};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::error::Error;
use crate::hash::sha256;

use super::encoding::{msg32, parse33, reduce, scalar_below_n, scalar_bytes, x_bytes};
use super::key_agg::keypair;
use super::qr::has_square_y;

/// Length in bytes of a Lotus Schnorr signature `r ‖ s`.
pub const SIGNATURE_LEN: usize = 64;

/// The 16-byte RFC 6979 algorithm tag: "Schnorr+SHA256" and two spaces (spec 2.3).
const RFC6979_ALGO: &[u8; 16] = b"Schnorr+SHA256  ";

/// The Lotus challenge `e = int(SHA256(r ‖ ser33(P) ‖ m)) mod n` (spec 2.1 step 3, 3.4 step 4).
pub(super) fn challenge(r: &[u8; 32], pubkey: &[u8; 33], msg: &[u8; 32]) -> Scalar {
    reduce(&sha256(&[r, pubkey, msg]))
}

/// Signs a 32-byte message with Lotus Schnorr (spec 2.2). Deterministic in `(sk, msg)`.
///
/// # Errors
/// [`Error::InvalidSecretKey`] when `sk` is zero or not below n, and [`Error::WrongLength`]
/// when `msg` is not 32 bytes.
pub fn schnorr_sign(sk: &[u8; 32], msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], Error> {
    let msg = msg32(msg)?;
    let (mut d, pk) = keypair(sk)?;
    let mut k = rfc6979(sk, msg);
    let r_point = ProjectivePoint::mul_by_generator(&k).to_affine();
    if !has_square_y(&r_point) {
        k = -k;
    }
    let r = x_bytes(&r_point);
    let e = challenge(&r, &pk, msg);
    let s = k + e * d;
    k.zeroize();
    d.zeroize();
    let mut sig = [0u8; SIGNATURE_LEN];
    let (r_out, s_out) = sig.split_at_mut(32);
    r_out.copy_from_slice(&r);
    s_out.copy_from_slice(&scalar_bytes(&s));
    Ok(sig)
}

/// Verifies a Lotus Schnorr signature (spec 2.1).
///
/// `pubkey` is the 33-byte compressed key, `msg` the 32-byte message and `sig` the 64-byte
/// `r ‖ s` (strip a transaction's trailing sighash-type byte first).
///
/// # Errors
/// [`Error::InvalidPublicKey`] for a key that is not a valid 33-byte point,
/// [`Error::WrongLength`] for a message other than 32 bytes or a signature other than 64 bytes,
/// [`Error::InvalidSignature`] when `r ≥ p` or `s ≥ n`, and [`Error::VerificationFailed`] when
/// the signature does not verify. Every error means: reject the signature.
pub fn schnorr_verify(pubkey: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), Error> {
    let point = parse33(pubkey).ok_or(Error::InvalidPublicKey)?;
    let pk: &[u8; 33] = pubkey.try_into().map_err(|_| Error::InvalidPublicKey)?;
    let msg = msg32(msg)?;
    let sig: &[u8; SIGNATURE_LEN] = sig.try_into().map_err(|_| Error::WrongLength {
        expected: SIGNATURE_LEN,
        got: sig.len(),
    })?;
    let (r_bytes, s_bytes) = sig.split_at(32);
    let r: [u8; 32] = r_bytes.try_into().map_err(|_| Error::InvalidSignature)?;
    if !field_element_in_range(&r) {
        return Err(Error::InvalidSignature);
    }
    let s = scalar_below_n(s_bytes).ok_or(Error::InvalidSignature)?;
    let e = challenge(&r, pk, msg);
    verify_equation(&r, &s, &e, &point)
}

/// Checks `R = s·G − e·P` is not infinity, has a square y and `x(R) = r`.
pub(super) fn verify_equation(
    r: &[u8; 32],
    s: &Scalar,
    e: &Scalar,
    point: &ProjectivePoint,
) -> Result<(), Error> {
    // One interleaved double-scalar multiplication; measured faster than a precomputed-table
    // s·G plus a separate e·P.
    let big_r = ProjectivePoint::lincomb(&ProjectivePoint::GENERATOR, s, point, &-e);
    if bool::from(big_r.is_identity()) {
        return Err(Error::VerificationFailed);
    }
    let big_r = big_r.to_affine();
    if has_square_y(&big_r) && x_bytes(&big_r) == *r {
        Ok(())
    } else {
        Err(Error::VerificationFailed)
    }
}

/// Whether a big-endian 32-byte integer is below the field prime p.
fn field_element_in_range(x: &[u8; 32]) -> bool {
    // p = 2²⁵⁶ − 2³² − 977: compare against its big-endian bytes.
    const P_BE: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff,
        0xfc, 0x2f,
    ];
    *x < P_BE
}

/// `nonce_rfc6979(d, m)` of spec 2.3: RFC 6979 HMAC-DRBG with SHA-256, seeded with
/// `bytes32(d) ‖ m ‖ "Schnorr+SHA256␣␣"`.
fn rfc6979(sk: &[u8; 32], msg: &[u8; 32]) -> Scalar {
    let mut v = [0x01u8; 32];
    let mut k = [0x00u8; 32];
    k = hmac(&k, &[&v, &[0x00], sk, msg, RFC6979_ALGO]);
    v = hmac(&k, &[&v]);
    k = hmac(&k, &[&v, &[0x01], sk, msg, RFC6979_ALGO]);
    v = hmac(&k, &[&v]);
    let nonce = loop {
        v = hmac(&k, &[&v]);
        let candidate: Option<Scalar> = Scalar::from_repr(FieldBytes::from(v)).into();
        match candidate {
            Some(t) if !bool::from(t.is_zero()) => break t,
            _ => {
                k = hmac(&k, &[&v, &[0x00]]);
                v = hmac(&k, &[&v]);
            }
        }
    };
    k.zeroize();
    v.zeroize();
    nonce
}

/// HMAC-SHA256 with a 32-byte key.
fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC zero-pads keys shorter than the 64-byte block, so padding here is the same key; it
    // lets us use the infallible fixed-size constructor instead of `new_from_slice`.
    let mut block = [0u8; 64];
    if let Some(head) = block.get_mut(..32) {
        head.copy_from_slice(key);
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    block.zeroize();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// The RFC 6979 nonce `k` of spec 2.3, before the quadratic-residue negation.
///
/// # Security
/// `k` together with a signature reveals the secret key. Only for checking test vectors.
pub fn dangerous_nonce_rfc6979(sk: &[u8; 32], msg: &[u8; 32]) -> [u8; 32] {
    scalar_bytes(&rfc6979(sk, msg))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::encoding::small_secret as key;
    use super::*;

    fn pubkey(sk: &[u8; 32]) -> [u8; 33] {
        keypair(sk).unwrap().1
    }

    #[test]
    fn sign_verify_round_trip_and_rejections() {
        for v in 1..20u8 {
            let sk = key(v);
            let pk = pubkey(&sk);
            let msg = [v; 32];
            let sig = schnorr_sign(&sk, &msg).unwrap();
            assert_eq!(schnorr_verify(&pk, &msg, &sig), Ok(()));
            let mut other = msg;
            other[0] ^= 1;
            assert_eq!(
                schnorr_verify(&pk, &other, &sig),
                Err(Error::VerificationFailed)
            );
        }
    }

    #[test]
    fn malformed_inputs_are_typed_errors() {
        let sk = key(3);
        let pk = pubkey(&sk);
        let sig = schnorr_sign(&sk, &[1; 32]).unwrap();
        assert_eq!(
            schnorr_verify(&pk[..32], &[1; 32], &sig),
            Err(Error::InvalidPublicKey)
        );
        assert_eq!(
            schnorr_verify(&pk, &[1; 31], &sig),
            Err(Error::WrongLength {
                expected: 32,
                got: 31
            })
        );
        assert_eq!(
            schnorr_verify(&pk, &[1; 32], &sig[..63]),
            Err(Error::WrongLength {
                expected: 64,
                got: 63
            })
        );
        let mut high_s = sig;
        high_s[32..].fill(0xff);
        assert_eq!(
            schnorr_verify(&pk, &[1; 32], &high_s),
            Err(Error::InvalidSignature)
        );
        let mut high_r = sig;
        high_r[..32].fill(0xff);
        assert_eq!(
            schnorr_verify(&pk, &[1; 32], &high_r),
            Err(Error::InvalidSignature)
        );
        assert_eq!(
            schnorr_sign(&[0; 32], &[1; 32]),
            Err(Error::InvalidSecretKey)
        );
        assert!(matches!(
            schnorr_sign(&sk, &[1; 33]),
            Err(Error::WrongLength { .. })
        ));
    }

    #[test]
    fn field_range_boundary() {
        let mut p = [0xffu8; 32];
        p[27] = 0xfe;
        p[30] = 0xfc;
        p[31] = 0x2f;
        assert!(!field_element_in_range(&p));
        p[31] = 0x2e;
        assert!(field_element_in_range(&p));
    }
}
