//! Lotus nonce generation and aggregation (spec 3.2 and 3.3), and the public nonce types.

use k256::elliptic_curve::group::Group;
use k256::elliptic_curve::ops::MulByGenerator;
use k256::elliptic_curve::BatchNormalize;
use k256::{ProjectivePoint, Scalar};
use zeroize::Zeroize;

use crate::error::{Contribution, Error};
use crate::hash::tagged_hash;
use crate::secnonce::SecNonce;

use super::encoding::{parse33, reduce, secret_key, ser33};

/// Length in bytes of a public nonce `ser33(R1) ‖ ser33(R2)`.
pub const PUBNONCE_LEN: usize = 66;
/// Length in bytes of an aggregate nonce `ser33(R1) ‖ ser33(R2)`.
pub const AGGNONCE_LEN: usize = 66;

const TAG_AUX: &str = "MuSig/aux";
const TAG_NONCE: &str = "MuSig/nonce";

/// Two points R1, R2 with their 66-byte encoding; the shape of both nonce types.
#[derive(Debug, Clone)]
pub(super) struct NoncePair {
    pub(super) r1: ProjectivePoint,
    pub(super) r2: ProjectivePoint,
    bytes: [u8; 66],
}

impl NoncePair {
    fn parse(bytes: &[u8], contrib: Contribution) -> Result<Self, Error> {
        let bad = Error::InvalidContribution {
            signer: None,
            contrib,
        };
        let arr: [u8; 66] = bytes.try_into().map_err(|_| bad.clone())?;
        let (b1, b2) = arr.split_at(33);
        let r1 = parse33(b1).ok_or_else(|| bad.clone())?;
        let r2 = parse33(b2).ok_or(bad)?;
        Ok(Self { r1, r2, bytes: arr })
    }

    fn from_points(r1: ProjectivePoint, r2: ProjectivePoint, b1: &[u8; 33], b2: &[u8; 33]) -> Self {
        let mut bytes = [0u8; 66];
        let (o1, o2) = bytes.split_at_mut(33);
        o1.copy_from_slice(b1);
        o2.copy_from_slice(b2);
        Self { r1, r2, bytes }
    }

    /// The 33-byte encodings of R1 and R2.
    pub(super) fn halves(&self) -> (&[u8], &[u8]) {
        self.bytes.split_at(33)
    }
}

impl PartialEq for NoncePair {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for NoncePair {}

/// A signer's public nonce `(R1, R2)`, 66 bytes on the wire: `ser33(R1) ‖ ser33(R2)`.
///
/// lotus-sdk carries the two halves as hex strings `r1` and `r2`; their concatenation is this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubNonce(pub(super) NoncePair);

impl PubNonce {
    /// Parses `ser33(R1) ‖ ser33(R2)`; both halves must pass `parse33`.
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib: PubNonce` and `signer: None`: the caller
    /// knows who sent the bytes and should put that signer's index into the error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        NoncePair::parse(bytes, Contribution::PubNonce).map(Self)
    }

    /// The 66-byte encoding.
    pub fn to_bytes(&self) -> [u8; PUBNONCE_LEN] {
        self.0.bytes
    }
}

/// The aggregate nonce `(ΣR1_j, ΣR2_j)`, 66 bytes: `ser33(R1) ‖ ser33(R2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggNonce(pub(super) NoncePair);

impl AggNonce {
    /// Parses `ser33(R1) ‖ ser33(R2)`; both halves must pass `parse33` (there is no encoding
    /// of infinity in this scheme).
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib: AggNonce` and `signer: None` (blame the
    /// aggregator that sent it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        NoncePair::parse(bytes, Contribution::AggNonce).map(Self)
    }

    /// The 66-byte encoding.
    pub fn to_bytes(&self) -> [u8; AGGNONCE_LEN] {
        self.0.bytes
    }
}

/// NonceGen (spec 3.2): derives the secret nonce `(k1, k2)` and the public nonce
/// `(k1·G, k2·G)` from the secret key, the aggregate key, the message and extra input.
///
/// `aggregate_pubkey` is the untweaked aggregate key — for Taproot the internal key P, i.e.
/// [`KeyAggContext::internal_pubkey`](super::KeyAggContext::internal_pubkey). It only feeds a
/// hash and is not parsed. An absent `msg` or `extra_in` is hashed as 32 zero bytes.
///
/// # Security
/// Without `extra_in` the nonce is a deterministic function of `(sk, Q, msg)`; signing the
/// same message under the same key twice with different co-signer nonces then leaks `sk`.
/// In production always pass 32 fresh random bytes as `extra_in` (the crate has no RNG: the
/// caller supplies them). Use a fixed value only in tests. The [`SecNonce`] is consumed by
/// signing and zeroized on drop; never try to reuse one.
///
/// # Errors
/// [`Error::InvalidSecretKey`] when `sk` is zero or not below n.
pub fn nonce_gen(
    sk: &[u8; 32],
    aggregate_pubkey: &[u8; 33],
    msg: Option<&[u8; 32]>,
    extra_in: Option<&[u8; 32]>,
) -> Result<(SecNonce, PubNonce), Error> {
    let mut x = secret_key(sk)?;
    let mut aux = nonce_aux(sk, aggregate_pubkey, msg, extra_in);
    let k1 = nonce_scalar(&aux, 0x01);
    let k2 = nonce_scalar(&aux, 0x02);
    aux.zeroize();
    let points = [
        ProjectivePoint::mul_by_generator(&x),
        ProjectivePoint::mul_by_generator(&k1),
        ProjectivePoint::mul_by_generator(&k2),
    ];
    x.zeroize();
    // One field inversion for all three encodings.
    let [pk, r1, r2] = ProjectivePoint::batch_normalize(&points);
    let pair = NoncePair::from_points(
        ProjectivePoint::from(r1),
        ProjectivePoint::from(r2),
        &ser33(&r1),
        &ser33(&r2),
    );
    Ok((SecNonce::from_parts(k1, k2, ser33(&pk)), PubNonce(pair)))
}

/// `aux = tagged("MuSig/aux", bytes32(x) ‖ ser33(Q) ‖ M ‖ E)` (spec 3.2 steps 1 and 2).
fn nonce_aux(
    sk: &[u8; 32],
    aggregate_pubkey: &[u8; 33],
    msg: Option<&[u8; 32]>,
    extra_in: Option<&[u8; 32]>,
) -> [u8; 32] {
    const ZERO: [u8; 32] = [0u8; 32];
    tagged_hash(
        TAG_AUX,
        &[
            sk,
            aggregate_pubkey,
            msg.unwrap_or(&ZERO),
            extra_in.unwrap_or(&ZERO),
        ],
    )
}

/// `k = int(tagged("MuSig/nonce", aux ‖ index)) mod n`, with 0 replaced by 1 (spec 3.2 step 3).
fn nonce_scalar(aux: &[u8; 32], index: u8) -> Scalar {
    let mut h = tagged_hash(TAG_NONCE, &[aux, &[index]]);
    let k = reduce(&h);
    h.zeroize();
    if bool::from(k.is_zero()) {
        Scalar::ONE
    } else {
        k
    }
}

/// The intermediate `aux` hash of nonce generation (spec 3.2 step 2).
///
/// # Security
/// `aux` determines the secret nonces. Only for checking test vectors.
pub fn dangerous_nonce_aux(
    sk: &[u8; 32],
    aggregate_pubkey: &[u8; 33],
    msg: Option<&[u8; 32]>,
    extra_in: Option<&[u8; 32]>,
) -> [u8; 32] {
    nonce_aux(sk, aggregate_pubkey, msg, extra_in)
}

/// NonceAgg (spec 3.3): `R1 = Σ R1_j`, `R2 = Σ R2_j` over all signer slots, in any order.
///
/// # Errors
/// [`Error::Empty`] for an empty list, and [`Error::InvalidContribution`] with
/// `contrib: AggNonce` and `signer: None` when either sum is the point at infinity (no single
/// signer can be blamed: abort the session).
pub fn nonce_agg(pubnonces: &[PubNonce]) -> Result<AggNonce, Error> {
    if pubnonces.is_empty() {
        return Err(Error::Empty);
    }
    let (r1, r2) = pubnonces.iter().fold(
        (ProjectivePoint::IDENTITY, ProjectivePoint::IDENTITY),
        |(a, b), n| (a + n.0.r1, b + n.0.r2),
    );
    let bad = Error::InvalidContribution {
        signer: None,
        contrib: Contribution::AggNonce,
    };
    if bool::from(r1.is_identity() | r2.is_identity()) {
        return Err(bad);
    }
    let [a1, a2] = ProjectivePoint::batch_normalize(&[r1, r2]);
    Ok(AggNonce(NoncePair::from_points(
        r1,
        r2,
        &ser33(&a1),
        &ser33(&a2),
    )))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::encoding::small_secret as sk;
    use super::*;

    #[test]
    fn pubnonce_round_trip_and_errors() {
        let (sec, pubn) = nonce_gen(&sk(1), &[2u8; 33], None, Some(&[7; 32])).unwrap();
        assert_eq!(PubNonce::from_bytes(&pubn.to_bytes()).unwrap(), pubn);
        assert_eq!(*sec.public_key(), ser33(&k256::AffinePoint::GENERATOR));
        let err = Error::InvalidContribution {
            signer: None,
            contrib: Contribution::PubNonce,
        };
        assert_eq!(
            PubNonce::from_bytes(&pubn.to_bytes()[..65]),
            Err(err.clone())
        );
        let mut bad = pubn.to_bytes();
        bad[33] = 0;
        assert_eq!(PubNonce::from_bytes(&bad), Err(err));
        assert!(matches!(
            AggNonce::from_bytes(&[0u8; 66]),
            Err(Error::InvalidContribution {
                contrib: Contribution::AggNonce,
                ..
            })
        ));
        assert_eq!(
            nonce_gen(&[0; 32], &[2; 33], None, None).err(),
            Some(Error::InvalidSecretKey)
        );
    }

    #[test]
    fn aggregation_rejects_infinity_and_empty() {
        let (_, a) = nonce_gen(&sk(1), &[2u8; 33], None, None).unwrap();
        let neg = PubNonce(NoncePair::from_points(-a.0.r1, -a.0.r2, &[0; 33], &[0; 33]));
        assert!(matches!(
            nonce_agg(&[a.clone(), neg]),
            Err(Error::InvalidContribution {
                signer: None,
                contrib: Contribution::AggNonce
            })
        ));
        assert_eq!(nonce_agg(&[]), Err(Error::Empty));
        let agg = nonce_agg(std::slice::from_ref(&a)).unwrap();
        assert_eq!(agg.to_bytes(), a.to_bytes());
    }

    #[test]
    fn extra_input_changes_the_nonce() {
        let (_, a) = nonce_gen(&sk(3), &[2u8; 33], Some(&[1; 32]), None).unwrap();
        let (_, b) = nonce_gen(&sk(3), &[2u8; 33], Some(&[1; 32]), Some(&[0; 32])).unwrap();
        let (_, c) = nonce_gen(&sk(3), &[2u8; 33], Some(&[1; 32]), Some(&[9; 32])).unwrap();
        // Absent extra input is hashed as 32 zero bytes.
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
