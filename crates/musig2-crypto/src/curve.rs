//! Small secp256k1 helpers shared by BIP-340, BIP-327 and the Lotus scheme.
//!
//! These mirror the helper functions of the BIP-340 and BIP-327 specifications (`lift_x`,
//! `cpoint`, `cbytes`, `xbytes`, `has_even_y`, `int(x) mod n`) on top of the `k256` types.
//! They are crate-internal: public APIs take and return bytes or the crate's own types.
//!
//! Conventions: points are [`AffinePoint`]s when they were just decoded or must be encoded
//! (decoding yields affine coordinates for free; encoding needs them), and
//! [`ProjectivePoint`]s while being summed or multiplied (no field inversion per step).
//! The point at infinity is `AffinePoint::IDENTITY` / `ProjectivePoint::IDENTITY`.
//! Decoders return `Option`: the caller turns `None` into the [`crate::Error`] that names
//! the culprit.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use k256::elliptic_curve::ops::Reduce;
use k256::elliptic_curve::point::{AffineCoordinates, DecompressPoint};
use k256::elliptic_curve::subtle::Choice;
use k256::elliptic_curve::PrimeField;
use k256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar, U256};

/// Length of a compressed point encoding (`cbytes`): a 0x02/0x03 prefix and the x coordinate.
pub(crate) const COMPRESSED_LEN: usize = 33;

/// `lift_x(x)` (BIP-340): the point with x coordinate `x` and an even y coordinate.
///
/// `None` when `x` is not below the field size `p` or is not the x coordinate of a point.
pub(crate) fn lift_x(x: &[u8; 32]) -> Option<AffinePoint> {
    AffinePoint::decompress(FieldBytes::from_slice(x), Choice::from(0)).into()
}

/// `cpoint(x)` (BIP-327): decodes a 33-byte compressed point.
///
/// `None` for a wrong length, a prefix other than 0x02/0x03, or an x coordinate that is not
/// on the curve (including values not below `p`). Never returns the point at infinity.
pub(crate) fn cpoint(bytes: &[u8]) -> Option<AffinePoint> {
    let (&prefix, x) = bytes.split_first()?;
    if bytes.len() != COMPRESSED_LEN || (prefix != 0x02 && prefix != 0x03) {
        return None;
    }
    AffinePoint::decompress(FieldBytes::from_slice(x), Choice::from(prefix & 1)).into()
}

/// `cpoint_ext(x)` (BIP-327): like [`cpoint`], but 33 zero bytes decode to the point at
/// infinity (`AffinePoint::IDENTITY`).
pub(crate) fn cpoint_ext(bytes: &[u8]) -> Option<AffinePoint> {
    if bytes.len() == COMPRESSED_LEN && bytes.iter().all(|&b| b == 0) {
        return Some(AffinePoint::IDENTITY);
    }
    cpoint(bytes)
}

/// `cbytes(P)` (BIP-327): the 33-byte compressed encoding. The point at infinity encodes as
/// 33 zero bytes, which is `cbytes_ext` of the specification; callers that must not see
/// infinity check for it first.
pub(crate) fn cbytes(p: &AffinePoint) -> [u8; 33] {
    let mut out = [0u8; 33];
    if is_infinity(p) {
        return out;
    }
    let (prefix, x) = out.split_at_mut(1);
    prefix.copy_from_slice(&[if has_even_y(p) { 0x02 } else { 0x03 }]);
    x.copy_from_slice(&p.x());
    out
}

/// `xbytes(P)` (BIP-340): the 32-byte big-endian x coordinate.
pub(crate) fn xbytes(p: &AffinePoint) -> [u8; 32] {
    p.x().into()
}

/// `has_even_y(P)` (BIP-340) for a point that is not infinity.
pub(crate) fn has_even_y(p: &AffinePoint) -> bool {
    !bool::from(p.y_is_odd())
}

/// Whether `p` is the point at infinity.
pub(crate) fn is_infinity(p: &AffinePoint) -> bool {
    *p == AffinePoint::IDENTITY
}

/// Whether the projective point `p` is the point at infinity (no inversion needed).
pub(crate) fn is_identity(p: &ProjectivePoint) -> bool {
    *p == ProjectivePoint::IDENTITY
}

/// `int(x)` strictly: the scalar encoded by `x`, or `None` when `x` is not below `n`.
pub(crate) fn scalar_from_bytes(x: &[u8; 32]) -> Option<Scalar> {
    Scalar::from_repr(*FieldBytes::from_slice(x)).into()
}

/// A secret key `d` with `0 < d < n`, or `None`.
pub(crate) fn nonzero_scalar_from_bytes(x: &[u8; 32]) -> Option<Scalar> {
    scalar_from_bytes(x).filter(|s| !bool::from(s.is_zero()))
}

/// `int(x) mod n`: reduces a 32-byte big-endian integer (typically a hash) modulo `n`.
pub(crate) fn scalar_reduce(x: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce_bytes(FieldBytes::from_slice(x))
}

/// `bytes(32, s)`: the 32-byte big-endian encoding of a scalar.
pub(crate) fn scalar_to_bytes(s: &Scalar) -> [u8; 32] {
    s.to_bytes().into()
}

/// `a XOR b` for two 32-byte strings.
pub(crate) fn xor32(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = *a;
    out.iter_mut().zip(b).for_each(|(o, b)| *o ^= b);
    out
}

/// Negates `s` when `negate` is true: the `g = n - 1` factor of the specifications.
pub(crate) fn negate_if(s: Scalar, negate: bool) -> Scalar {
    if negate {
        -s
    } else {
        s
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use k256::elliptic_curve::ops::MulByGenerator;

    const G_X: [u8; 32] = [
        0x79, 0xBE, 0x66, 0x7E, 0xF9, 0xDC, 0xBB, 0xAC, 0x55, 0xA0, 0x62, 0x95, 0xCE, 0x87, 0x0B,
        0x07, 0x02, 0x9B, 0xFC, 0xDB, 0x2D, 0xCE, 0x28, 0xD9, 0x59, 0xF2, 0x81, 0x5B, 0x16, 0xF8,
        0x17, 0x98,
    ];

    #[test]
    fn generator_round_trips() {
        let g = ProjectivePoint::GENERATOR.to_affine();
        let enc = cbytes(&g);
        assert_eq!(enc[0], 0x02);
        assert_eq!(&enc[1..], &G_X);
        assert_eq!(cpoint(&enc), Some(g));
        assert_eq!(lift_x(&G_X), Some(g));
        assert_eq!(xbytes(&g), G_X);
        assert!(has_even_y(&g));
        let neg = -g;
        assert_eq!(cbytes(&neg)[0], 0x03);
        assert_eq!(cpoint(&cbytes(&neg)), Some(neg));
    }

    #[test]
    fn cpoint_rejects_bad_encodings() {
        let mut enc = cbytes(&ProjectivePoint::GENERATOR.to_affine());
        assert_eq!(cpoint(&enc[..32]), None);
        enc[0] = 0x04;
        assert_eq!(cpoint(&enc), None);
        assert_eq!(cpoint(&[0u8; 33]), None);
        assert_eq!(cpoint(&[]), None);
        assert_eq!(cpoint_ext(&[0u8; 33]), Some(AffinePoint::IDENTITY));
        // x = p is not a field element.
        let mut p = [0xFFu8; 33];
        p[0] = 0x02;
        p[28] = 0xFE;
        p[31] = 0x2F;
        assert_eq!(cpoint(&p), None);
        assert_eq!(cbytes(&AffinePoint::IDENTITY), [0u8; 33]);
    }

    #[test]
    fn scalar_parsing_is_strict_and_reduction_wraps() {
        let n_minus_1 = scalar_to_bytes(&-Scalar::ONE);
        assert_eq!(scalar_from_bytes(&n_minus_1), Some(-Scalar::ONE));
        let mut n = n_minus_1;
        n[31] += 1;
        assert_eq!(scalar_from_bytes(&n), None);
        assert_eq!(scalar_reduce(&n), Scalar::ZERO);
        assert_eq!(nonzero_scalar_from_bytes(&[0u8; 32]), None);
        assert_eq!(
            scalar_reduce(&[0xFF; 32]),
            scalar_from_bytes(&{
                let mut b = [0u8; 32];
                // 2^256 - 1 - n
                b[15] = 1;
                b[16..].copy_from_slice(&[
                    0x45, 0x51, 0x23, 0x19, 0x50, 0xB7, 0x5F, 0xC4, 0x40, 0x2D, 0xA1, 0x73, 0x2F,
                    0xC9, 0xBE, 0xBE,
                ]);
                b
            })
            .unwrap()
        );
    }

    #[test]
    fn helpers_agree_with_group_law() {
        let k = Scalar::from(12345u64);
        let p = ProjectivePoint::mul_by_generator(&k).to_affine();
        assert_eq!(
            lift_x(&xbytes(&p)),
            Some(if has_even_y(&p) { p } else { -p })
        );
        assert!(is_identity(&(ProjectivePoint::from(p) - p)));
        assert!(is_infinity(&AffinePoint::IDENTITY));
        assert_eq!(negate_if(k, true), -k);
        assert_eq!(xor32(&[0xF0; 32], &[0x0F; 32]), [0xFF; 32]);
    }
}
