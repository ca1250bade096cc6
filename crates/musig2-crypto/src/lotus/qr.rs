//! The quadratic-residue test `is_qr(y)` of spec 1.3, used for Lotus nonce negation.
//!
//! `k256` does not expose its field type, so this computes the Jacobi symbol `(y / p)` with the
//! binary algorithm on four 64-bit limbs. For the prime p the Jacobi symbol is the Legendre
//! symbol. The algorithm is variable-time, which is fine here: it only ever sees y coordinates
//! of public nonce points (`R`, whose square-ness the finished signature reveals anyway).
//! It needs no multiplications, so it is several times cheaper than the `(p−1)/2` power.

use k256::AffinePoint;

use super::encoding::y_bytes;

/// Little-endian 64-bit limbs of a 256-bit integer.
type Limbs = [u64; 4];

/// The field prime p = 2²⁵⁶ − 2³² − 977.
const P: Limbs = [
    0xffff_fffe_ffff_fc2f,
    0xffff_ffff_ffff_ffff,
    0xffff_ffff_ffff_ffff,
    0xffff_ffff_ffff_ffff,
];

/// Whether the y coordinate of `p` is a non-zero square mod p. False for the identity.
pub(super) fn has_square_y(p: &AffinePoint) -> bool {
    y_bytes(p).is_some_and(|y| is_qr(&y))
}

/// `is_qr(y)`: whether the big-endian integer `y` is a non-zero square modulo p.
pub(super) fn is_qr(y: &[u8; 32]) -> bool {
    let mut a = from_be(y);
    if !lt(&a, &P) {
        // y < 2²⁵⁶ < 2p, so one subtraction reduces it.
        sub_assign(&mut a, &P);
    }
    jacobi(a, P) == 1
}

/// The Jacobi symbol `(a / n)` for odd `n`, as -1, 0 or 1.
fn jacobi(mut a: Limbs, mut n: Limbs) -> i8 {
    let mut t = 1i8;
    while a != [0; 4] {
        // Pull out factors of two: (2/n) = -1 iff n ≡ 3 or 5 (mod 8).
        let z = trailing_zeros(&a);
        shr_assign(&mut a, z);
        if z % 2 == 1 && matches!(n[0] & 7, 3 | 5) {
            t = -t;
        }
        // Both odd now. Reciprocity: swapping flips the sign iff both are 3 (mod 4).
        if lt(&a, &n) {
            core::mem::swap(&mut a, &mut n);
            if a[0] & 3 == 3 && n[0] & 3 == 3 {
                t = -t;
            }
        }
        // (a / n) = ((a − n) / n), and a − n is even, so the next round shifts again.
        sub_assign(&mut a, &n);
    }
    if n == [1, 0, 0, 0] {
        t
    } else {
        0
    }
}

fn from_be(bytes: &[u8; 32]) -> Limbs {
    let mut out = [0u64; 4];
    for (limb, chunk) in out.iter_mut().rev().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_be_bytes(word);
    }
    out
}

/// `a < b`.
fn lt(a: &Limbs, b: &Limbs) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// `a -= b` for `a ≥ b`.
fn sub_assign(a: &mut Limbs, b: &Limbs) {
    let mut borrow = false;
    for (x, y) in a.iter_mut().zip(b.iter()) {
        let (d1, b1) = x.overflowing_sub(*y);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
}

/// Number of trailing zero bits of a non-zero value.
fn trailing_zeros(a: &Limbs) -> u32 {
    let mut count = 0;
    for limb in a {
        if *limb != 0 {
            return count + limb.trailing_zeros();
        }
        count += 64;
    }
    count
}

/// `a >>= z` for `z < 256`.
fn shr_assign(a: &mut Limbs, z: u32) {
    let q = (z / 64) as usize;
    let r = z % 64;
    let src = *a;
    for (i, out) in a.iter_mut().enumerate() {
        let lo = src.get(i + q).copied().unwrap_or(0);
        let hi = src.get(i + q + 1).copied().unwrap_or(0);
        *out = if r == 0 {
            lo
        } else {
            (lo >> r) | (hi << (64 - r))
        };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::hash::sha256;
    use k256::elliptic_curve::bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
    use k256::elliptic_curve::bigint::{Encoding, U256};
    use k256::{ProjectivePoint, Scalar};

    /// Reference: Euler's criterion y^((p−1)/2) = 1, with crypto-bigint's modular power.
    fn euler(y: &[u8; 32]) -> bool {
        let p = U256::from_be_bytes(to_be(&P));
        let params = DynResidueParams::new(&p);
        let y = U256::from_be_bytes(*y).wrapping_rem(&p);
        let exp = p.wrapping_sub(&U256::ONE).shr_vartime(1);
        DynResidue::new(&y, params).pow(&exp).retrieve() == U256::ONE
    }

    fn to_be(a: &Limbs) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, limb) in out.chunks_exact_mut(8).zip(a.iter().rev()) {
            chunk.copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    fn small(v: u64) -> [u8; 32] {
        to_be(&[v, 0, 0, 0])
    }

    #[test]
    fn known_symbols() {
        assert!(is_qr(&small(1)));
        assert!(is_qr(&small(4)));
        // p ≡ 7 (mod 8), so 2 is a square; p ≡ 3 (mod 4), so −1 is not.
        assert!(is_qr(&small(2)));
        let mut minus_one = P;
        minus_one[0] -= 1;
        assert!(!is_qr(&to_be(&minus_one)));
        assert!(!is_qr(&small(0)));
        assert!(!is_qr(&to_be(&P)), "p ≡ 0 is not a non-zero square");
    }

    #[test]
    fn matches_euler_criterion_on_hashed_values() {
        for i in 0u32..300 {
            let y = sha256(&[&i.to_be_bytes()]);
            assert_eq!(is_qr(&y), euler(&y), "value {i}");
        }
    }

    #[test]
    fn exactly_one_of_y_and_minus_y_is_square() {
        for i in 1u64..60 {
            let p = (ProjectivePoint::GENERATOR * Scalar::from(i)).to_affine();
            let neg = (-ProjectivePoint::from(p)).to_affine();
            assert_ne!(has_square_y(&p), has_square_y(&neg), "multiple {i}");
        }
        assert!(!has_square_y(&AffinePoint::IDENTITY));
    }

    #[test]
    fn helpers() {
        let mut a = [0, 0, 1, 0];
        assert_eq!(trailing_zeros(&a), 128);
        shr_assign(&mut a, 127);
        assert_eq!(a, [2, 0, 0, 0]);
        let mut b = [0, 1, 0, 0];
        sub_assign(&mut b, &[1, 0, 0, 0]);
        assert_eq!(b, [u64::MAX, 0, 0, 0]);
        assert!(lt(&b, &[0, 1, 0, 0]));
    }
}
