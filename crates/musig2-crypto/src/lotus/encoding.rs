//! Byte encodings of the Lotus scheme (spec 1.2): `ser33`/`parse33` points, scalars and
//! hash-to-scalar reduction. Private to the `lotus` module.

use k256::elliptic_curve::group::{Group, GroupEncoding};
use k256::elliptic_curve::ops::Reduce;
use k256::elliptic_curve::point::AffineCoordinates;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::elliptic_curve::PrimeField;
use k256::{AffinePoint, CompressedPoint, FieldBytes, ProjectivePoint, Scalar, U256};

use crate::error::Error;

use super::MSG_LEN;

/// `parse33`: a 33-byte SEC1 compressed point with prefix 02 or 03, `x < p` and `x³+7` square.
///
/// Returns `None` for anything else, including the all-zero string that `k256` would read as
/// the point at infinity.
pub(super) fn parse33(bytes: &[u8]) -> Option<ProjectivePoint> {
    let arr: &[u8; 33] = bytes.try_into().ok()?;
    if !matches!(arr.first(), Some(0x02 | 0x03)) {
        return None;
    }
    let repr = CompressedPoint::clone_from_slice(arr);
    Option::<AffinePoint>::from(AffinePoint::from_bytes(&repr)).map(ProjectivePoint::from)
}

/// `ser33` of an affine point. The caller guarantees the point is not the identity.
pub(super) fn ser33(p: &AffinePoint) -> [u8; 33] {
    let mut out = [0u8; 33];
    out.copy_from_slice(p.to_bytes().as_slice());
    out
}

/// `ser33` of a projective point, or `None` for the point at infinity.
pub(super) fn ser33_checked(p: &ProjectivePoint) -> Option<[u8; 33]> {
    if bool::from(p.is_identity()) {
        return None;
    }
    Some(ser33(&p.to_affine()))
}

/// `bytes32(x(P))` for an affine point.
pub(super) fn x_bytes(p: &AffinePoint) -> [u8; 32] {
    p.x().into()
}

/// `bytes32(y(P))` for an affine point other than the identity.
pub(super) fn y_bytes(p: &AffinePoint) -> Option<[u8; 32]> {
    let enc = p.to_encoded_point(false);
    let y = enc.y()?;
    let mut out = [0u8; 32];
    out.copy_from_slice(y.as_slice());
    Some(out)
}

/// `int(h) mod n` for a 32-byte hash output (spec 1.5).
pub(super) fn reduce(h: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce_bytes(&FieldBytes::from(*h))
}

/// A 32-byte big-endian scalar strictly below n, or `None`.
pub(super) fn scalar_below_n(bytes: &[u8]) -> Option<Scalar> {
    let arr: [u8; 32] = bytes.try_into().ok()?;
    Option::from(Scalar::from_repr(FieldBytes::from(arr)))
}

/// A secret key: a 32-byte scalar with `1 ≤ d ≤ n−1`.
pub(super) fn secret_key(bytes: &[u8; 32]) -> Result<Scalar, Error> {
    match scalar_below_n(bytes) {
        Some(d) if !bool::from(d.is_zero()) => Ok(d),
        _ => Err(Error::InvalidSecretKey),
    }
}

/// `bytes32(s)` of a scalar.
pub(super) fn scalar_bytes(s: &Scalar) -> [u8; 32] {
    s.to_bytes().into()
}

/// A message of exactly [`MSG_LEN`] bytes.
pub(super) fn msg32(msg: &[u8]) -> Result<&[u8; MSG_LEN], Error> {
    msg.try_into().map_err(|_| Error::WrongLength {
        expected: MSG_LEN,
        got: msg.len(),
    })
}

/// The secret key with integer value `v`, for unit tests.
#[cfg(test)]
pub(super) fn small_secret(v: u8) -> [u8; 32] {
    let mut k = [0u8; 32];
    if let Some(last) = k.last_mut() {
        *last = v;
    }
    k
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parse33_rejects_bad_prefixes_lengths_and_identity() {
        let g = ser33(&AffinePoint::GENERATOR);
        assert_eq!(parse33(&g), Some(ProjectivePoint::GENERATOR));
        assert!(parse33(&[0u8; 33]).is_none());
        assert!(parse33(&g[..32]).is_none());
        let mut bad = g;
        bad[0] = 0x04;
        assert!(parse33(&bad).is_none());
        // x = p is out of range.
        let mut over = [0xffu8; 33];
        over[0] = 0x02;
        over[28] = 0xfe;
        over[31] = 0xfc;
        over[32] = 0x2f;
        assert!(parse33(&over).is_none());
    }

    #[test]
    fn secret_key_range() {
        assert_eq!(secret_key(&[0u8; 32]), Err(Error::InvalidSecretKey));
        assert_eq!(secret_key(&[0xffu8; 32]), Err(Error::InvalidSecretKey));
        assert_eq!(secret_key(&small_secret(1)), Ok(Scalar::ONE));
    }

    #[test]
    fn ser33_checked_refuses_identity() {
        assert!(ser33_checked(&ProjectivePoint::IDENTITY).is_none());
        assert_eq!(y_bytes(&AffinePoint::IDENTITY), None);
    }
}
