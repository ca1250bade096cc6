//! Nonce generation and aggregation
//! ([BIP-327 "Nonce Generation"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#nonce-generation)
//! and ["Nonce Aggregation"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#nonce-aggregation)).

use k256::elliptic_curve::ops::MulByGenerator;
use k256::elliptic_curve::point::BatchNormalize;
use k256::{AffinePoint, ProjectivePoint, Scalar};
use zeroize::Zeroizing;

use crate::curve;
use crate::error::{Contribution, Error};
use crate::hash::tagged_hash;
use crate::secnonce::SecNonce;

use super::keyagg::PUBKEY_LEN;

/// Length of an encoded [`PubNonce`] or [`AggNonce`]: two 33-byte points.
pub const NONCE_LEN: usize = 66;

/// A signer's public nonce `cbytes(R1) ‖ cbytes(R2)`, sent to the other signers in the
/// first round. Both points are valid and not infinity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PubNonce {
    bytes: [u8; NONCE_LEN],
    r1: AffinePoint,
    r2: AffinePoint,
}

impl PubNonce {
    /// Parses a 66-byte public nonce.
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib: PubNonce` and `signer: None` when the
    /// length is wrong or either half is not a valid compressed point; callers that know who
    /// sent the bytes replace `None` with that signer's index.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let (bytes, r1, r2) = decode_pair(bytes, curve::cpoint, Contribution::PubNonce)?;
        Ok(Self { bytes, r1, r2 })
    }

    /// Parses the public nonce of signer `signer`, blaming that signer on failure.
    pub(crate) fn from_signer_bytes(bytes: &[u8], signer: usize) -> Result<Self, Error> {
        Self::from_bytes(bytes).map_err(|_| Error::InvalidContribution {
            signer: Some(signer),
            contrib: Contribution::PubNonce,
        })
    }

    /// The public nonce of two valid points.
    fn from_points(r1: AffinePoint, r2: AffinePoint) -> Self {
        Self {
            bytes: encode_pair(&r1, &r2),
            r1,
            r2,
        }
    }

    /// The public nonce `(k1⋅G, k2⋅G)` of two secret nonce scalars (one field inversion).
    /// Both scalars must be non-zero (callers check), so neither point is infinity.
    pub(crate) fn from_secret_scalars(k1: &Scalar, k2: &Scalar) -> Self {
        let [r1, r2] = ProjectivePoint::batch_normalize(&[
            ProjectivePoint::mul_by_generator(k1),
            ProjectivePoint::mul_by_generator(k2),
        ]);
        Self::from_points(r1, r2)
    }

    /// The 66-byte encoding.
    pub fn as_bytes(&self) -> &[u8; NONCE_LEN] {
        &self.bytes
    }

    /// The two nonce points `(R1, R2)`.
    pub(crate) fn points(&self) -> (&AffinePoint, &AffinePoint) {
        (&self.r1, &self.r2)
    }
}

/// The aggregate nonce `cbytes_ext(R1) ‖ cbytes_ext(R2)` of all signers' public nonces.
/// Either point may be infinity, encoded as 33 zero bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggNonce {
    bytes: [u8; NONCE_LEN],
    r1: AffinePoint,
    r2: AffinePoint,
}

impl AggNonce {
    /// Parses a 66-byte aggregate nonce received from a nonce aggregator.
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib: AggNonce` and `signer: None` when the
    /// length is wrong or either half is neither a valid compressed point nor 33 zero bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let (bytes, r1, r2) = decode_pair(bytes, curve::cpoint_ext, Contribution::AggNonce)?;
        Ok(Self { bytes, r1, r2 })
    }

    /// `NonceAgg` on parsed public nonces: sums the first and the second points.
    ///
    /// # Errors
    /// [`Error::Empty`] when `pubnonces` is empty.
    pub fn sum(pubnonces: &[PubNonce]) -> Result<Self, Error> {
        if pubnonces.is_empty() {
            return Err(Error::Empty);
        }
        let (r1, r2) = pubnonces.iter().fold(
            (ProjectivePoint::IDENTITY, ProjectivePoint::IDENTITY),
            |(r1, r2), n| (r1 + n.r1, r2 + n.r2),
        );
        // Not `batch_normalize`: k256 0.13 panics there when a point is infinity.
        let (r1, r2) = (r1.to_affine(), r2.to_affine());
        Ok(Self {
            bytes: encode_pair(&r1, &r2),
            r1,
            r2,
        })
    }

    /// The 66-byte encoding.
    pub fn as_bytes(&self) -> &[u8; NONCE_LEN] {
        &self.bytes
    }

    /// The two aggregate points `(R1, R2)`; either may be infinity.
    pub(crate) fn points(&self) -> (&AffinePoint, &AffinePoint) {
        (&self.r1, &self.r2)
    }
}

/// Decodes two 33-byte points with `decode`; a failure blames `contrib` (no signer).
fn decode_pair(
    bytes: &[u8],
    decode: fn(&[u8]) -> Option<AffinePoint>,
    contrib: Contribution,
) -> Result<([u8; NONCE_LEN], AffinePoint, AffinePoint), Error> {
    let invalid = Error::InvalidContribution {
        signer: None,
        contrib,
    };
    let arr: [u8; NONCE_LEN] = bytes.try_into().map_err(|_| invalid.clone())?;
    let (h1, h2) = arr.split_at(PUBKEY_LEN);
    match (decode(h1), decode(h2)) {
        (Some(r1), Some(r2)) => Ok((arr, r1, r2)),
        _ => Err(invalid),
    }
}

/// `cbytes_ext(R1) ‖ cbytes_ext(R2)`.
fn encode_pair(r1: &AffinePoint, r2: &AffinePoint) -> [u8; NONCE_LEN] {
    let mut bytes = [0u8; NONCE_LEN];
    let (h1, h2) = bytes.split_at_mut(PUBKEY_LEN);
    h1.copy_from_slice(&curve::cbytes(r1));
    h2.copy_from_slice(&curve::cbytes(r2));
    bytes
}

/// `NonceAgg` ([BIP-327 "Nonce Aggregation"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#nonce-aggregation)):
/// parses the signers' encoded public nonces and sums them.
///
/// # Errors
/// - [`Error::InvalidContribution`] with `contrib: PubNonce` naming the first signer (index
///   into `pubnonces`) whose nonce is malformed.
/// - [`Error::Empty`] when `pubnonces` is empty.
pub fn nonce_agg<B: AsRef<[u8]>>(pubnonces: &[B]) -> Result<AggNonce, Error> {
    let parsed = pubnonces
        .iter()
        .enumerate()
        .map(|(i, n)| PubNonce::from_signer_bytes(n.as_ref(), i))
        .collect::<Result<Vec<_>, _>>()?;
    AggNonce::sum(&parsed)
}

/// The optional inputs of `NonceGen`. Each one that is known should be passed: they make the
/// nonce depend on more data, which keeps it unique even with a weak random source.
#[derive(Clone, Copy, Default)]
pub struct NonceGenInputs<'a> {
    /// The signer's 32-byte secret key.
    pub sk: Option<&'a [u8; 32]>,
    /// The 32-byte x-only aggregate public key.
    pub aggpk: Option<&'a [u8; 32]>,
    /// The message to be signed, of any length.
    pub msg: Option<&'a [u8]>,
    /// Any extra input, such as a session identifier or a counter (at most 2³² - 1 bytes).
    pub extra_in: Option<&'a [u8]>,
}

/// `NonceGen` ([BIP-327 "Nonce Generation"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#nonce-generation)):
/// derives a secret nonce for the signer with plain public key `pk` and its public nonce.
///
/// `rand` is the specification's `rand'`: 32 bytes that the caller must draw from a
/// cryptographically secure random source for every call. The crate has no random source of
/// its own. `pk` is bound into the secret nonce and checked again when signing.
///
/// # Errors
/// [`Error::WrongLength`] when `extra_in` is longer than 2³² - 1 bytes, and
/// [`Error::SecNonceOutOfRange`] if a derived nonce scalar is zero (negligible probability).
///
/// # Security
/// Reusing `rand` (with the same other inputs) reuses the nonce and leaks the secret key
/// after two signatures. Send the [`PubNonce`] to the other signers, keep the [`SecNonce`]
/// in memory only, and pass it to exactly one signing call.
pub fn nonce_gen(
    rand: &[u8; 32],
    pk: &[u8; PUBKEY_LEN],
    inputs: NonceGenInputs<'_>,
) -> Result<(SecNonce, PubNonce), Error> {
    let rand = Zeroizing::new(match inputs.sk {
        Some(sk) => curve::xor32(sk, &tagged_hash("MuSig/aux", &[rand])),
        None => *rand,
    });
    let aggpk: &[u8] = inputs.aggpk.map_or(&[], |a| a.as_slice());
    let msg_prefixed: Vec<u8> = match inputs.msg {
        None => vec![0],
        Some(m) => [&[1u8][..], &(m.len() as u64).to_be_bytes(), m].concat(),
    };
    let extra_in = inputs.extra_in.unwrap_or(&[]);
    let extra_len = u32::try_from(extra_in.len()).map_err(|_| Error::WrongLength {
        expected: u32::MAX as usize,
        got: extra_in.len(),
    })?;
    let k = |i: u8| {
        Zeroizing::new(curve::scalar_reduce(&tagged_hash(
            "MuSig/nonce",
            &[
                &rand[..],
                &[PUBKEY_LEN as u8],
                pk,
                &[aggpk.len() as u8],
                aggpk,
                &msg_prefixed,
                &extra_len.to_be_bytes(),
                extra_in,
                &[i],
            ],
        )))
    };
    let (k1, k2) = (k(0), k(1));
    if bool::from(k1.is_zero() | k2.is_zero()) {
        return Err(Error::SecNonceOutOfRange);
    }
    let pubnonce = PubNonce::from_secret_scalars(&k1, &k2);
    Ok((SecNonce::from_parts(*k1, *k2, *pk), pubnonce))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pubnonce(seed: u64) -> PubNonce {
        PubNonce::from_secret_scalars(&Scalar::from(seed), &Scalar::from(seed + 1))
    }

    #[test]
    fn pubnonce_round_trips() {
        let n = pubnonce(5);
        assert_eq!(PubNonce::from_bytes(n.as_bytes()).unwrap(), n);
        assert_eq!(
            PubNonce::from_bytes(&n.as_bytes()[..65]),
            Err(Error::InvalidContribution {
                signer: None,
                contrib: Contribution::PubNonce
            })
        );
    }

    #[test]
    fn aggregate_of_opposite_nonces_is_infinity() {
        let a = pubnonce(5);
        let (r1, r2) = a.points();
        let b = PubNonce::from_points(-*r1, *r2);
        let agg = AggNonce::sum(&[a.clone(), b]).unwrap();
        assert_eq!(&agg.as_bytes()[..33], &[0u8; 33]);
        assert_eq!(AggNonce::from_bytes(agg.as_bytes()).unwrap(), agg);
        assert_eq!(
            nonce_agg(&[a.as_bytes()]).unwrap(),
            AggNonce::sum(&[a]).unwrap()
        );
        assert_eq!(AggNonce::sum(&[]), Err(Error::Empty));
    }

    #[test]
    fn nonce_gen_depends_on_every_input() {
        let pk = [2u8; 33];
        let base = nonce_gen(&[1; 32], &pk, NonceGenInputs::default())
            .unwrap()
            .1;
        let with = |inputs| nonce_gen(&[1; 32], &pk, inputs).unwrap().1;
        let variants = [
            with(NonceGenInputs {
                sk: Some(&[3; 32]),
                ..Default::default()
            }),
            with(NonceGenInputs {
                aggpk: Some(&[3; 32]),
                ..Default::default()
            }),
            with(NonceGenInputs {
                msg: Some(&[]),
                ..Default::default()
            }),
            with(NonceGenInputs {
                extra_in: Some(&[9]),
                ..Default::default()
            }),
            nonce_gen(&[4; 32], &pk, NonceGenInputs::default())
                .unwrap()
                .1,
        ];
        for v in &variants {
            assert_ne!(v, &base);
        }
        // An empty extra_in hashes exactly like an absent one; an empty msg does not.
        assert_eq!(
            with(NonceGenInputs {
                extra_in: Some(&[]),
                ..Default::default()
            }),
            base
        );
        assert_eq!(with(NonceGenInputs::default()), base);
    }
}
