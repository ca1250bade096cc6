//! Lotus key sorting and aggregation (spec 3.1), with the optional Taproot tweak (spec 4)
//! folded into the context so that signing knows which key it signs for.

use k256::elliptic_curve::ops::{LinearCombinationExt, MulByGenerator};
use k256::{ProjectivePoint, Scalar};

use crate::error::{Contribution, Error};
use crate::hash::tagged_hash;

use super::encoding::{parse33, reduce, scalar_bytes, secret_key, ser33, ser33_checked};

/// Tag of the key-list hash L.
const TAG_LIST: &str = "KeyAgg list";
/// Tag of the key coefficients a_i.
const TAG_COEF: &str = "KeyAgg coefficient";

/// The 33-byte compressed public key `ser33(sk·G)` of a secret key.
///
/// # Errors
/// [`Error::InvalidSecretKey`] when `sk` is zero or not below n.
pub fn public_key(sk: &[u8; 32]) -> Result<[u8; 33], Error> {
    keypair(sk).map(|(_, pk)| pk)
}

/// The secret scalar and the encoded public key of a secret key.
pub(super) fn keypair(sk: &[u8; 32]) -> Result<(Scalar, [u8; 33]), Error> {
    let d = secret_key(sk)?;
    Ok((d, ser33(&ProjectivePoint::mul_by_generator(&d).to_affine())))
}

/// The Taproot part of a context: tweak t and the encoded output key Q' = P + t·G.
#[derive(Debug, Clone)]
pub(super) struct TaprootTweak {
    pub(super) merkle_root: [u8; 32],
    pub(super) tweak: Scalar,
    pub(super) output_key_bytes: [u8; 33],
}

/// The result of Lotus key aggregation: the sorted signer slots, their coefficients and the
/// aggregate key, optionally with a Lotus Taproot tweak.
///
/// The **signer index** of a participant is its position in the sorted key list
/// ([`KeyAggContext::pubkeys`]); every per-signer list in this module is in that order.
/// Duplicate keys are separate slots with their own coefficients and nonces.
#[derive(Debug, Clone)]
pub struct KeyAggContext {
    pub(super) pubkeys: Vec<[u8; 33]>,
    pub(super) points: Vec<ProjectivePoint>,
    pub(super) coefficients: Vec<Scalar>,
    sorted_order: Vec<usize>,
    list_hash: [u8; 32],
    pub(super) internal_key: ProjectivePoint,
    pub(super) internal_key_bytes: [u8; 33],
    pub(super) taproot: Option<TaprootTweak>,
}

impl KeyAggContext {
    /// KeyAgg (spec 3.1): sorts the 33-byte keys byte-wise, hashes the list into L, derives the
    /// coefficients (a_1 = 1 only when sorted positions 0 and 1 hold the same key) and sums
    /// `Q = Σ a_i·P_i`. The input order does not matter.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty list;
    /// [`Error::InvalidContribution`] with `contrib: PubKey` and `signer: Some(i)` (the
    /// **input** position) for a key that is not a valid 33-byte compressed point; and the same
    /// error with `signer: None` if Q is the point at infinity.
    pub fn new<K: AsRef<[u8]>>(pubkeys: &[K]) -> Result<Self, Error> {
        if pubkeys.is_empty() {
            return Err(Error::Empty);
        }
        let mut parsed = Vec::with_capacity(pubkeys.len());
        for (i, pk) in pubkeys.iter().enumerate() {
            let bytes = pk.as_ref();
            let bad = || Error::InvalidContribution {
                signer: Some(i),
                contrib: Contribution::PubKey,
            };
            let point = parse33(bytes).ok_or_else(bad)?;
            let arr: [u8; 33] = bytes.try_into().map_err(|_| bad())?;
            parsed.push((arr, point, i));
        }
        // A stable sort keeps equal keys in input order, so `sorted_order` is deterministic.
        parsed.sort_by_key(|p| p.0);

        let pubkeys: Vec<[u8; 33]> = parsed.iter().map(|p| p.0).collect();
        let points: Vec<ProjectivePoint> = parsed.iter().map(|p| p.1).collect();
        let sorted_order: Vec<usize> = parsed.iter().map(|p| p.2).collect();

        let parts: Vec<&[u8]> = pubkeys.iter().map(|k| k.as_slice()).collect();
        let list_hash = tagged_hash(TAG_LIST, &parts);
        let coefficients = coefficients(&pubkeys, &list_hash);

        let terms: Vec<(ProjectivePoint, Scalar)> = points
            .iter()
            .copied()
            .zip(coefficients.iter().copied())
            .collect();
        let internal_key = ProjectivePoint::lincomb_ext(terms.as_slice());
        let internal_key_bytes =
            ser33_checked(&internal_key).ok_or(Error::InvalidContribution {
                signer: None,
                contrib: Contribution::PubKey,
            })?;
        Ok(Self {
            pubkeys,
            points,
            coefficients,
            sorted_order,
            list_hash,
            internal_key,
            internal_key_bytes,
            taproot: None,
        })
    }

    /// The number of signer slots (positions in the sorted key list).
    pub fn signer_count(&self) -> usize {
        self.pubkeys.len()
    }

    /// The keys in sorted order; position `i` is signer index `i`.
    pub fn pubkeys(&self) -> &[[u8; 33]] {
        &self.pubkeys
    }

    /// For each sorted position, the index in the input list it came from.
    pub fn sorted_order(&self) -> &[usize] {
        &self.sorted_order
    }

    /// The first signer index holding `pubkey`, as lotus-sdk's session layer picks it.
    /// A key present several times signs for each of its positions separately; use
    /// [`KeyAggContext::signer_indices`] to find all of them.
    pub fn signer_index(&self, pubkey: &[u8]) -> Option<usize> {
        self.pubkeys.iter().position(|k| k.as_slice() == pubkey)
    }

    /// Every signer index holding `pubkey`, in increasing order.
    pub fn signer_indices<'a>(&'a self, pubkey: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
        self.pubkeys
            .iter()
            .enumerate()
            .filter(move |(_, k)| k.as_slice() == pubkey)
            .map(|(i, _)| i)
    }

    /// The key-list hash `L = tagged("KeyAgg list", pk_0 ‖ … ‖ pk_{u−1})`.
    pub fn key_list_hash(&self) -> [u8; 32] {
        self.list_hash
    }

    /// The coefficient a_i of signer index `i` as 32 big-endian bytes, or `None` when `i` is
    /// out of range.
    pub fn coefficient(&self, i: usize) -> Option<[u8; 32]> {
        self.coefficients.get(i).map(scalar_bytes)
    }

    /// The untweaked aggregate key Q = Σ a_i·P_i (the Taproot internal key P). Nonce
    /// generation hashes this key, with or without Taproot (spec 4 step 5).
    pub fn internal_pubkey(&self) -> [u8; 33] {
        self.internal_key_bytes
    }

    /// The key the final signature verifies under: Q, or the Taproot output key Q' when the
    /// context carries a Taproot tweak.
    pub fn aggregate_pubkey(&self) -> [u8; 33] {
        match &self.taproot {
            Some(t) => t.output_key_bytes,
            None => self.internal_key_bytes,
        }
    }

    /// The signer index's key and coefficient.
    pub(super) fn slot(&self, i: usize) -> Result<(&ProjectivePoint, &Scalar), Error> {
        match (self.points.get(i), self.coefficients.get(i)) {
            (Some(p), Some(a)) => Ok((p, a)),
            _ => Err(Error::SignerIndexOutOfRange {
                index: i,
                signers: self.signer_count(),
            }),
        }
    }
}

/// The coefficients of spec 3.1 step 3.
fn coefficients(sorted: &[[u8; 33]], list_hash: &[u8; 32]) -> Vec<Scalar> {
    let duplicate_first = matches!(sorted, [a, b, ..] if a == b);
    sorted
        .iter()
        .enumerate()
        .map(|(i, pk)| {
            if i == 1 && duplicate_first {
                Scalar::ONE
            } else {
                reduce(&tagged_hash(TAG_COEF, &[list_hash, pk]))
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pk(v: u64) -> [u8; 33] {
        ser33(&ProjectivePoint::mul_by_generator(&Scalar::from(v)).to_affine())
    }

    #[test]
    fn errors_name_the_input_position() {
        let keys = vec![pk(1).to_vec(), pk(2)[..32].to_vec()];
        assert_eq!(
            KeyAggContext::new(&keys).err(),
            Some(Error::InvalidContribution {
                signer: Some(1),
                contrib: Contribution::PubKey
            })
        );
        let empty: [[u8; 33]; 0] = [];
        assert_eq!(KeyAggContext::new(&empty).err(), Some(Error::Empty));
        let mut bad = pk(3);
        bad[0] = 0x05;
        assert_eq!(
            KeyAggContext::new(&[pk(1), bad])
                .err()
                .and_then(|e| e.culprit()),
            Some(1)
        );
    }

    #[test]
    fn order_independent_and_duplicate_rule() {
        let a = KeyAggContext::new(&[pk(1), pk(2), pk(3)]).unwrap();
        let b = KeyAggContext::new(&[pk(3), pk(1), pk(2)]).unwrap();
        assert_eq!(a.aggregate_pubkey(), b.aggregate_pubkey());
        assert_eq!(a.pubkeys(), b.pubkeys());
        assert_ne!(a.coefficient(1), Some(scalar_bytes(&Scalar::ONE)));

        let d = KeyAggContext::new(&[pk(5), pk(5), pk(5)]).unwrap();
        assert_eq!(d.coefficient(1), Some(scalar_bytes(&Scalar::ONE)));
        assert_eq!(d.coefficient(0), d.coefficient(2));
        assert_eq!(d.signer_indices(&pk(5)).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(d.coefficient(3), None);
        assert!(d.slot(3).is_err());
    }

    #[test]
    fn a_key_and_its_negation_are_distinct_slots() {
        let p = pk(9);
        let mut neg = p;
        neg[0] ^= 1;
        let (even, odd) = if p[0] == 0x02 { (p, neg) } else { (neg, p) };
        let ctx = KeyAggContext::new(&[odd, even]).unwrap();
        assert_eq!(ctx.pubkeys()[0], even, "the 02 key sorts first");
        assert_eq!(ctx.sorted_order(), &[1, 0]);
        assert_ne!(ctx.coefficient(0), ctx.coefficient(1));
    }
}
