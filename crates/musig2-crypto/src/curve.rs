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
use k256::elliptic_curve::scalar::{FromUintUnchecked, IsHigh};
use k256::elliptic_curve::subtle::Choice;
use k256::elliptic_curve::PrimeField;
use k256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar, U256};

/// Length of a compressed point encoding (`cbytes`): a 0x02/0x03 prefix and the x coordinate.
pub(crate) const COMPRESSED_LEN: usize = 33;

/// `lift_x(x)` (BIP-340): the point with x coordinate `x` and an even y coordinate.
///
/// `None` when `x` is not below the field size `p` or is not the x coordinate of a point.
pub(crate) fn lift_x(x: &[u8; 32]) -> Option<AffinePoint> {
    AffinePoint::decompress(&FieldBytes::from(*x), Choice::from(0)).into()
}

/// `cpoint(x)` (BIP-327): decodes a 33-byte compressed point.
///
/// `None` for a wrong length, a prefix other than 0x02/0x03, or an x coordinate that is not
/// on the curve (including values not below `p`). Never returns the point at infinity.
pub(crate) fn cpoint(bytes: &[u8]) -> Option<AffinePoint> {
    let (&prefix, x) = bytes.split_first()?;
    let x: [u8; 32] = x.try_into().ok()?;
    if prefix != 0x02 && prefix != 0x03 {
        return None;
    }
    AffinePoint::decompress(&FieldBytes::from(x), Choice::from(prefix & 1)).into()
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
    Scalar::from_repr(FieldBytes::from(*x)).into()
}

/// A secret key `d` with `0 < d < n`, or `None`.
pub(crate) fn nonzero_scalar_from_bytes(x: &[u8; 32]) -> Option<Scalar> {
    scalar_from_bytes(x).filter(|s| !bool::from(s.is_zero()))
}

/// `int(x) mod n`: reduces a 32-byte big-endian integer (typically a hash) modulo `n`.
pub(crate) fn scalar_reduce(x: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce_bytes(&FieldBytes::from(*x))
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

/// Width of the signed windows of [`msm_vartime`]: digits are odd and in `[-15, 15]`.
const WNAF_WIDTH: u32 = 5;

/// Constants of the secp256k1 endomorphism `λ⋅(x, y) = (β⋅x, y)` for splitting scalars
/// (the GLV method; the values published with libsecp256k1): `-λ`, `-b1`, `-b2` of a short
/// lattice basis, and `g1`, `g2` = `round(2^384⋅b2 / n)`, `round(2^384⋅(-b1) / n)`. Each is
/// below the group order `n`. `β` is applied by `ProjectivePoint::endomorphism`.
const MINUS_LAMBDA: U256 =
    U256::from_be_hex("ac9c52b33fa3cf1f5ad9e3fd77ed9ba4a880b9fc8ec739c2e0cfc810b51283cf");
const MINUS_B1: U256 =
    U256::from_be_hex("00000000000000000000000000000000e4437ed6010e88286f547fa90abfe4c3");
const MINUS_B2: U256 =
    U256::from_be_hex("fffffffffffffffffffffffffffffffe8a280ac50774346dd765cda83db1562c");
const G1: U256 =
    U256::from_be_hex("3086d221a7d46bcde86c90e49284eb153daa8a1471e8ca7fe893209a45dbb031");
const G2: U256 =
    U256::from_be_hex("e4437ed6010e88286f547fa90abfe4c4221208ac9df506c61571b4ae8ac47f71");

/// `round(a⋅b / 2^384)`, which is below `2^129` for our operands.
fn mul_shift_384(a: &U256, b: &U256) -> Scalar {
    let (_, hi) = a.mul_wide(b);
    let mut c = hi.shr_vartime(128);
    if hi.bit_vartime(127) {
        c = c.wrapping_add(&U256::ONE);
    }
    Scalar::from_uint_unchecked(c)
}

/// Splits `k` into `(r1, r2)` with `k = r1 + r2⋅λ (mod n)`, where `r1` and `r2` (or their
/// negations) are below `2^128`.
fn split_lambda(k: &Scalar) -> (Scalar, Scalar) {
    let k_int = U256::from_be_slice(&k.to_bytes());
    let r2 = mul_shift_384(&k_int, &G1) * Scalar::from_uint_unchecked(MINUS_B1)
        + mul_shift_384(&k_int, &G2) * Scalar::from_uint_unchecked(MINUS_B2);
    let r1 = *k + r2 * Scalar::from_uint_unchecked(MINUS_LAMBDA);
    (r1, r2)
}

/// Up to this many terms [`msm_vartime`] splits each one: the doublings it saves outweigh
/// the work per term (the split, a second table and twice the digits). With more, additions
/// dominate: measured in wasm, KeyAgg of 100 keys took 2.72 ms split and 2.59 ms unsplit,
/// while 3 keys and every verification got faster split.
const GLV_MAX_TERMS: usize = 16;

/// One term of [`msm_vartime`] as the loop sees it: odd multiples of a point (or of its image
/// under the endomorphism), the width-5 NAF of its scalar (below `2^128` when split), and
/// whether to subtract.
struct NafTerm {
    table: [ProjectivePoint; 8],
    digits: [i8; 257],
    negate: bool,
}

/// `Σ k_i⋅P_i` by Straus' method with width-5 NAF digits, in variable time.
///
/// With at most [`GLV_MAX_TERMS`] terms, each is first split with the secp256k1
/// endomorphism (`k⋅P = r1⋅P + r2⋅(λ⋅P)` with 128-bit `r1`, `r2`), so all share one chain of
/// about 130 doublings instead of 256. Each term costs about 45 point additions either way.
/// For many terms this is about twice as fast as `k256`'s constant-time `lincomb_ext`.
///
/// # Security
/// The running time depends on the points and scalars: use it only when all of them are
/// public (key aggregation, verification), never with secret keys or secret nonces.
pub(crate) fn msm_vartime(terms: &[(ProjectivePoint, Scalar)]) -> ProjectivePoint {
    let mut naf_terms = Vec::with_capacity(2 * terms.len());
    for (p, k) in terms {
        let table = odd_multiples(p);
        if terms.len() > GLV_MAX_TERMS {
            naf_terms.push(NafTerm {
                table,
                digits: wnaf(k),
                negate: false,
            });
            continue;
        }
        let lambda_table = table.map(|q| q.endomorphism());
        let (r1, r2) = split_lambda(k);
        for (table, r) in [(table, r1), (lambda_table, r2)] {
            let negate = bool::from(r.is_high());
            let r = if negate { -r } else { r };
            naf_terms.push(NafTerm {
                table,
                digits: wnaf(&r),
                negate,
            });
        }
    }
    let top = naf_terms
        .iter()
        .filter_map(|h| h.digits.iter().rposition(|&x| x != 0))
        .max();
    let mut acc = ProjectivePoint::IDENTITY;
    let Some(top) = top else {
        return acc;
    };
    for i in (0..=top).rev() {
        acc = acc.double();
        for h in &naf_terms {
            let digit = h.digits.get(i).copied().unwrap_or(0);
            // |digit| is odd and at most 15, so the index is in 0..8.
            let Some(p) = h.table.get(usize::from(digit.unsigned_abs() / 2)) else {
                continue;
            };
            match (digit.signum(), h.negate) {
                (1, false) | (-1, true) => acc += p,
                (-1, false) | (1, true) => acc -= p,
                _ => {}
            }
        }
    }
    acc
}

/// `[P, 3P, 5P, …, 15P]`.
fn odd_multiples(p: &ProjectivePoint) -> [ProjectivePoint; 8] {
    let double = p.double();
    let mut table = [*p; 8];
    let mut prev = *p;
    for entry in table.iter_mut().skip(1) {
        prev += double;
        *entry = prev;
    }
    table
}

/// The width-5 non-adjacent form of `k`: digits `d_i` (least significant first), each zero
/// or odd in `[-15, 15]`, with `k = Σ d_i⋅2^i` and at least four zeros after each non-zero.
fn wnaf(k: &Scalar) -> [i8; 257] {
    let bytes = k.to_bytes();
    // Little-endian 64-bit limbs plus a zero limb, so windows may read past bit 255.
    let mut limbs = [0u64; 5];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.rchunks(8)) {
        *limb = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    }
    let bits = |pos: usize| -> u64 {
        let (idx, shift) = (pos / 64, pos % 64);
        let lo = limbs.get(idx).copied().unwrap_or(0) >> shift;
        let hi = match shift {
            0 => 0,
            _ => limbs.get(idx + 1).copied().unwrap_or(0) << (64 - shift),
        };
        lo | hi
    };
    let width = 1u64 << WNAF_WIDTH;
    let mut naf = [0i8; 257];
    let (mut pos, mut carry) = (0usize, 0u64);
    while pos < naf.len() {
        let window = carry + (bits(pos) & (width - 1));
        if window & 1 == 0 {
            pos += 1;
            continue;
        }
        // window is odd and below 2^5 + 1; map it to the signed range [-15, 15].
        let digit = if window < width / 2 {
            carry = 0;
            window as i8
        } else {
            carry = 1;
            (window as i8).wrapping_sub(width as i8)
        };
        if let Some(d) = naf.get_mut(pos) {
            *d = digit;
        }
        pos += WNAF_WIDTH as usize;
    }
    naf
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
    fn msm_matches_naive_sum() {
        use k256::elliptic_curve::ops::LinearCombinationExt;
        for n in [0usize, 1, 2, 5] {
            let terms: Vec<(ProjectivePoint, Scalar)> = (0..n)
                .map(|i| {
                    let p = ProjectivePoint::mul_by_generator(&Scalar::from(i as u64 + 11));
                    let k = scalar_reduce(&crate::hash::sha256(&[&[i as u8]]));
                    (p, k)
                })
                .collect();
            assert_eq!(
                msm_vartime(&terms),
                ProjectivePoint::lincomb_ext(terms.as_slice())
            );
        }
        // Edge scalars: 0, 1, n - 1 and a value whose top window carries.
        for k in [
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE,
            Scalar::from(0x1Fu64),
            -Scalar::from(2u64),
        ] {
            let p = ProjectivePoint::GENERATOR;
            assert_eq!(msm_vartime(&[(p, k)]), p * k);
        }
    }

    /// Scalars from hashes plus edge cases: 0, ±1, ±λ, 2^128 ± 1, n - 2^128.
    fn test_scalars() -> Vec<Scalar> {
        let mut ks: Vec<Scalar> = (0u8..200)
            .map(|i| scalar_reduce(&crate::hash::sha256(&[b"glv", &[i]])))
            .collect();
        let minus_lambda = Scalar::from_uint_unchecked(MINUS_LAMBDA);
        let two_128 = Scalar::from_uint_unchecked(U256::ONE.shl_vartime(128));
        ks.extend([
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE,
            minus_lambda,
            -minus_lambda,
            two_128,
            two_128 + Scalar::ONE,
            two_128 - Scalar::ONE,
            -two_128,
        ]);
        ks
    }

    #[test]
    fn lambda_split_recomposes_into_half_length_parts() {
        let lambda = -Scalar::from_uint_unchecked(MINUS_LAMBDA);
        for k in test_scalars() {
            let (r1, r2) = split_lambda(&k);
            assert_eq!(r1 + r2 * lambda, k);
            for r in [r1, r2] {
                let abs = if bool::from(r.is_high()) { -r } else { r };
                assert_eq!(
                    abs.to_bytes()[..16],
                    [0u8; 16],
                    "part of {k:?} is not below 2^128"
                );
            }
        }
    }

    #[test]
    fn the_endomorphism_multiplies_by_lambda() {
        let lambda = -Scalar::from_uint_unchecked(MINUS_LAMBDA);
        for i in 1u64..5 {
            let p = ProjectivePoint::mul_by_generator(&Scalar::from(i * 7919));
            assert_eq!(p.endomorphism(), p * lambda);
        }
    }

    #[test]
    fn msm_matches_constant_time_products_for_many_scalars() {
        let ks = test_scalars();
        for (i, k) in ks.iter().enumerate() {
            let p = ProjectivePoint::mul_by_generator(&ks[(i * 7 + 3) % ks.len()]);
            assert_eq!(msm_vartime(&[(p, *k)]), p * k, "scalar {i}");
            let q = ProjectivePoint::mul_by_generator(&Scalar::from(i as u64 + 2));
            let l = ks[(i * 13 + 5) % ks.len()];
            assert_eq!(msm_vartime(&[(p, *k), (q, l)]), p * k + q * l, "pair {i}");
        }
    }

    #[test]
    fn msm_with_more_terms_than_it_splits_matches_the_naive_sum() {
        use k256::elliptic_curve::ops::LinearCombinationExt;
        let ks = test_scalars();
        for n in [GLV_MAX_TERMS, GLV_MAX_TERMS + 1, 40] {
            let terms: Vec<(ProjectivePoint, Scalar)> = (0..n)
                .map(|i| {
                    let p = ProjectivePoint::mul_by_generator(&Scalar::from(i as u64 + 5));
                    (p, ks[(i * 11) % ks.len()])
                })
                .collect();
            assert_eq!(
                msm_vartime(&terms),
                ProjectivePoint::lincomb_ext(terms.as_slice()),
                "{n} terms"
            );
        }
    }

    #[test]
    fn wnaf_digits_recompose_the_scalar() {
        let k = scalar_reduce(&[0xA5; 32]);
        let digits = wnaf(&k);
        let mut acc = Scalar::ZERO;
        for &d in digits.iter().rev() {
            acc = acc + acc;
            acc += if d >= 0 {
                Scalar::from(d as u64)
            } else {
                -Scalar::from((-d) as u64)
            };
            assert!(d == 0 || (d % 2 != 0 && (-15..=15).contains(&d)));
        }
        assert_eq!(acc, k);
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
