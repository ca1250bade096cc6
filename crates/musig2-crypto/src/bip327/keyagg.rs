//! Key sorting, key aggregation and tweaking
//! ([BIP-327 "Key Generation and Aggregation"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#key-generation-and-aggregation)).

use k256::elliptic_curve::ops::MulByGenerator;
use k256::{AffinePoint, ProjectivePoint, Scalar};
use zeroize::Zeroizing;

use crate::curve;
use crate::error::{Contribution, Error};
use crate::hash::tagged_hash;

/// Length of a BIP-327 plain (compressed) public key.
pub const PUBKEY_LEN: usize = 33;

/// `KeySort` ([BIP-327 "Key Sorting"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#key-sorting)):
/// the keys in lexicographical byte order. Sorting makes the aggregate key independent of
/// the order in which the signers announced their keys.
pub fn key_sort(pubkeys: &[[u8; PUBKEY_LEN]]) -> Vec<[u8; PUBKEY_LEN]> {
    let mut sorted = pubkeys.to_vec();
    sorted.sort_unstable();
    sorted
}

/// `IndividualPubkey` ([BIP-327 "Key Generation of an Individual Signer"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#key-generation-of-an-individual-signer)):
/// the 33-byte plain public key of a secret key.
///
/// # Errors
/// [`Error::InvalidSecretKey`] when `sk` is zero or not below the group order.
pub fn individual_pk(sk: &[u8; 32]) -> Result<[u8; PUBKEY_LEN], Error> {
    let d = Zeroizing::new(curve::nonzero_scalar_from_bytes(sk).ok_or(Error::InvalidSecretKey)?);
    Ok(curve::cbytes(
        &ProjectivePoint::mul_by_generator(&*d).to_affine(),
    ))
}

/// A BIP-327 tweak: 32 bytes interpreted as a scalar, applied to the aggregate key either as a
/// plain tweak (BIP-32 style) or as an x-only tweak (BIP-341 Taproot style).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tweak {
    /// The tweak value, a big-endian integer that must be below the group order.
    pub bytes: [u8; 32],
    /// `true` for an x-only tweak (the aggregate key is first negated if its y is odd).
    pub is_xonly: bool,
}

impl Tweak {
    /// A plain tweak: `Q' = Q + t⋅G`.
    pub fn plain(bytes: [u8; 32]) -> Self {
        Self {
            bytes,
            is_xonly: false,
        }
    }

    /// An x-only tweak: `Q' = ±Q + t⋅G` with the sign that makes `±Q` have an even y.
    pub fn xonly(bytes: [u8; 32]) -> Self {
        Self {
            bytes,
            is_xonly: true,
        }
    }
}

/// One signer's entry of a [`KeyAggContext`]: the encoded key, its point and its coefficient.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Signer {
    pubkey: [u8; PUBKEY_LEN],
    point: AffinePoint,
    coeff: Scalar,
}

/// The key aggregation context `(Q, gacc, tacc)` of
/// [BIP-327 "Key Aggregation"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#key-aggregation),
/// extended with the signers' keys and their aggregation coefficients so that signing and
/// partial signature verification never recompute them.
///
/// Build it with [`KeyAggContext::new`], tweak it with [`KeyAggContext::apply_tweak`] (or
/// [`crate::taproot::apply_taproot_tweak`]), then read the aggregate key with
/// [`KeyAggContext::xonly_public_key`] or [`KeyAggContext::plain_public_key`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAggContext {
    signers: Vec<Signer>,
    /// The (tweaked) aggregate key; never the point at infinity.
    q: AffinePoint,
    /// Accumulated sign factor of the tweaks: 1 or n - 1.
    gacc: Scalar,
    /// Accumulated tweak.
    tacc: Scalar,
}

impl KeyAggContext {
    /// `KeyAgg`: aggregates the signers' 33-byte compressed public keys, in the given order.
    ///
    /// Every signer but those holding the "second key" (the first key that differs from the
    /// first one) gets the coefficient `int(hash_KeyAgg coefficient(L ‖ pk)) mod n` where
    /// `L = hash_KeyAgg list(pk_1 ‖ … ‖ pk_u)`; the second key gets coefficient 1. The sum
    /// `Σ a_i⋅P_i` is computed as one multi-scalar multiplication.
    ///
    /// # Errors
    /// - [`Error::Empty`] for an empty key list.
    /// - [`Error::InvalidContribution`] with `contrib: PubKey` naming the first signer whose
    ///   key is not a valid 33-byte compressed point.
    /// - [`Error::InvalidContribution`] with `signer: None` if the aggregate is the point at
    ///   infinity (negligible probability unless keys are chosen maliciously).
    pub fn new<B: AsRef<[u8]>>(pubkeys: &[B]) -> Result<Self, Error> {
        let mut encoded = Vec::with_capacity(pubkeys.len());
        let mut points = Vec::with_capacity(pubkeys.len());
        for (i, pk) in pubkeys.iter().enumerate() {
            let pk = pk.as_ref();
            let invalid = Error::InvalidContribution {
                signer: Some(i),
                contrib: Contribution::PubKey,
            };
            let bytes: [u8; PUBKEY_LEN] = pk.try_into().map_err(|_| invalid.clone())?;
            points.push(curve::cpoint(&bytes).ok_or(invalid)?);
            encoded.push(bytes);
        }
        let first = encoded.first().ok_or(Error::Empty)?;
        let second_key = encoded.iter().find(|pk| *pk != first).copied();
        let list_parts: Vec<&[u8]> = encoded.iter().map(|pk| pk.as_slice()).collect();
        let list_hash = tagged_hash("KeyAgg list", &list_parts);

        let signers: Vec<Signer> = encoded
            .into_iter()
            .zip(points)
            .map(|(pubkey, point)| {
                let coeff = if Some(pubkey) == second_key {
                    Scalar::ONE
                } else {
                    curve::scalar_reduce(&tagged_hash("KeyAgg coefficient", &[&list_hash, &pubkey]))
                };
                Signer {
                    pubkey,
                    point,
                    coeff,
                }
            })
            .collect();

        // Keys with coefficient 1 are simply added; all others go into one multi-scalar
        // multiplication that shares the doublings between the terms. Keys and coefficients
        // are public, so the variable-time algorithm is safe here.
        let mut unit_sum = ProjectivePoint::IDENTITY;
        let mut terms = Vec::with_capacity(signers.len());
        for s in &signers {
            if s.coeff == Scalar::ONE {
                unit_sum += s.point;
            } else {
                terms.push((ProjectivePoint::from(s.point), s.coeff));
            }
        }
        let q = unit_sum + curve::msm_vartime(&terms);
        if curve::is_identity(&q) {
            return Err(Error::InvalidContribution {
                signer: None,
                contrib: Contribution::PubKey,
            });
        }
        Ok(Self {
            signers,
            q: q.to_affine(),
            gacc: Scalar::ONE,
            tacc: Scalar::ZERO,
        })
    }

    /// `ApplyTweak` ([BIP-327 "Tweaking Definition"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#tweaking-definition)):
    /// tweaks the aggregate key. On error the context is left unchanged.
    ///
    /// # Errors
    /// [`Error::TweakOutOfRange`] when the tweak is not below the group order and
    /// [`Error::TweakInfinity`] when the tweaked key would be the point at infinity.
    pub fn apply_tweak(&mut self, tweak: Tweak) -> Result<(), Error> {
        let negate = tweak.is_xonly && !curve::has_even_y(&self.q);
        let t = curve::scalar_from_bytes(&tweak.bytes).ok_or(Error::TweakOutOfRange)?;
        let g_q = if negate { -self.q } else { self.q };
        let q = ProjectivePoint::mul_by_generator(&t) + g_q;
        if curve::is_identity(&q) {
            return Err(Error::TweakInfinity);
        }
        self.q = q.to_affine();
        self.gacc = curve::negate_if(self.gacc, negate);
        self.tacc = t + curve::negate_if(self.tacc, negate);
        Ok(())
    }

    /// Applies several tweaks in order (the `KeyAggAndTweak` helper of BIP-327's reference
    /// code), consuming and returning the context.
    ///
    /// # Errors
    /// As [`KeyAggContext::apply_tweak`], for the first tweak that fails.
    pub fn with_tweaks(mut self, tweaks: &[Tweak]) -> Result<Self, Error> {
        for tweak in tweaks {
            self.apply_tweak(*tweak)?;
        }
        Ok(self)
    }

    /// `GetXonlyPubkey`: the 32-byte x-only aggregate key, which BIP-340 signatures of this
    /// group verify against.
    pub fn xonly_public_key(&self) -> [u8; 32] {
        curve::xbytes(&self.q)
    }

    /// `GetPlainPubkey`: the 33-byte compressed aggregate key (input to BIP-32 style tweaks).
    pub fn plain_public_key(&self) -> [u8; PUBKEY_LEN] {
        curve::cbytes(&self.q)
    }

    /// The signers' public keys, in aggregation order.
    pub fn pubkeys(&self) -> impl ExactSizeIterator<Item = &[u8; PUBKEY_LEN]> + '_ {
        self.signers.iter().map(|s| &s.pubkey)
    }

    /// The index of the first signer whose key is `pk`, or `None` when `pk` was not
    /// aggregated: the `signer` argument of [`SessionContext::partial_sig_verify`](super::SessionContext::partial_sig_verify).
    pub fn signer_index(&self, pk: &[u8; PUBKEY_LEN]) -> Option<usize> {
        self.signers.iter().position(|s| &s.pubkey == pk)
    }

    /// The number of aggregated keys (signers).
    pub fn len(&self) -> usize {
        self.signers.len()
    }

    /// Always `false`: a context aggregates at least one key.
    pub fn is_empty(&self) -> bool {
        self.signers.is_empty()
    }

    /// The aggregate key point `Q`.
    pub(crate) fn q(&self) -> &AffinePoint {
        &self.q
    }

    /// The accumulated tweak sign `gacc` (1 or n - 1).
    pub(crate) fn gacc(&self) -> &Scalar {
        &self.gacc
    }

    /// The accumulated tweak `tacc`.
    pub(crate) fn tacc(&self) -> &Scalar {
        &self.tacc
    }

    /// The point and aggregation coefficient of the signer at `index`.
    pub(crate) fn signer(&self, index: usize) -> Option<(&AffinePoint, &Scalar)> {
        self.signers.get(index).map(|s| (&s.point, &s.coeff))
    }

    /// `GetSessionKeyAggCoeff`: the aggregation coefficient of the key `pk`, or `None` when
    /// `pk` is not one of the aggregated keys.
    pub(crate) fn coeff_of(&self, pk: &[u8; PUBKEY_LEN]) -> Option<&Scalar> {
        self.signers
            .iter()
            .find(|s| &s.pubkey == pk)
            .map(|s| &s.coeff)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pk(seed: u64) -> [u8; 33] {
        let mut sk = [0u8; 32];
        sk[24..].copy_from_slice(&seed.to_be_bytes());
        individual_pk(&sk).unwrap()
    }

    #[test]
    fn aggregate_matches_naive_sum() {
        let keys = [pk(3), pk(5), pk(3), pk(9)];
        let ctx = KeyAggContext::new(&keys).unwrap();
        // Naive recomputation: the second key (pk(5)) has coefficient 1.
        let parts: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let l = tagged_hash("KeyAgg list", &parts);
        let mut q = ProjectivePoint::IDENTITY;
        for k in &keys {
            let a = if *k == keys[1] {
                Scalar::ONE
            } else {
                curve::scalar_reduce(&tagged_hash("KeyAgg coefficient", &[&l, k]))
            };
            q += ProjectivePoint::from(curve::cpoint(k).unwrap()) * a;
        }
        assert_eq!(ctx.plain_public_key(), curve::cbytes(&q.to_affine()));
        assert_eq!(ctx.coeff_of(&keys[1]), Some(&Scalar::ONE));
        assert_eq!(ctx.coeff_of(&pk(11)), None);
        assert_eq!(ctx.signer_index(&pk(3)), Some(0));
        assert_eq!(ctx.signer_index(&pk(9)), Some(3));
        assert_eq!(ctx.signer_index(&pk(11)), None);
        assert!(ctx.pubkeys().eq(keys.iter()));
        assert_eq!(ctx.len(), 4);
        assert!(!ctx.is_empty());
    }

    #[test]
    fn single_and_repeated_keys_have_no_unit_coefficient() {
        let ctx = KeyAggContext::new(&[pk(7), pk(7)]).unwrap();
        assert_ne!(ctx.coeff_of(&pk(7)), Some(&Scalar::ONE));
        assert_eq!(KeyAggContext::new::<[u8; 33]>(&[]), Err(Error::Empty));
    }

    #[test]
    fn wrong_length_key_is_blamed() {
        let keys: [&[u8]; 2] = [&pk(1), &pk(2)[..32]];
        assert_eq!(
            KeyAggContext::new(&keys),
            Err(Error::InvalidContribution {
                signer: Some(1),
                contrib: Contribution::PubKey
            })
        );
    }

    #[test]
    fn failed_tweak_leaves_context_unchanged() {
        let mut ctx = KeyAggContext::new(&[pk(1), pk(2)]).unwrap();
        let before = ctx.clone();
        assert_eq!(
            ctx.apply_tweak(Tweak::plain([0xFF; 32])),
            Err(Error::TweakOutOfRange)
        );
        assert_eq!(ctx, before);
    }

    #[test]
    fn xonly_tweak_of_odd_key_negates() {
        // Find a single-key context with an odd aggregate key, then tweak by zero.
        let ctx = (1u64..)
            .map(|i| KeyAggContext::new(&[pk(i)]).unwrap())
            .find(|c| c.plain_public_key()[0] == 0x03)
            .unwrap();
        let mut tweaked = ctx.clone();
        tweaked.apply_tweak(Tweak::xonly([0u8; 32])).unwrap();
        assert_eq!(tweaked.plain_public_key()[0], 0x02);
        assert_eq!(tweaked.xonly_public_key(), ctx.xonly_public_key());
        assert_eq!(tweaked.gacc(), &-Scalar::ONE);
        let mut plain = ctx.clone();
        plain.apply_tweak(Tweak::plain([0u8; 32])).unwrap();
        assert_eq!(plain, ctx);
    }
}
