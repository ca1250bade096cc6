//! Session values (spec 3.4): nonce coefficient b, final nonce R, the quadratic-residue
//! negation flag and the challenge e, computed once per signing session.

use k256::elliptic_curve::group::Group;
use k256::{ProjectivePoint, Scalar};

use crate::error::{Contribution, Error};
use crate::hash::tagged_hash;
use crate::secnonce::SecNonce;

use super::encoding::{msg32, reduce, scalar_bytes, ser33, x_bytes};
use super::key_agg::KeyAggContext;
use super::nonce::{AggNonce, PubNonce};
use super::qr::has_square_y;
use super::schnorr::{challenge, SIGNATURE_LEN};
use super::sign::{self, PartialSignature};

const TAG_NONCECOEF: &str = "MuSig/noncecoef";

/// The per-session values of spec 3.4, without the key context they were computed for.
#[derive(Debug, Clone)]
pub(super) struct SessionValues {
    pub(super) b: Scalar,
    pub(super) final_nonce: [u8; 33],
    pub(super) r_x: [u8; 32],
    pub(super) negated: bool,
    pub(super) e: Scalar,
    /// `e·t` for a Taproot context, added by signer index 0 only.
    pub(super) tweak_term: Option<Scalar>,
}

impl SessionValues {
    pub(super) fn compute(
        ctx: &KeyAggContext,
        aggnonce: &AggNonce,
        msg: &[u8],
    ) -> Result<Self, Error> {
        let msg = msg32(msg)?;
        let q_s = ctx.aggregate_pubkey();
        let (r1_bytes, r2_bytes) = aggnonce.0.halves();
        let b = reduce(&tagged_hash(
            TAG_NONCECOEF,
            &[&q_s, r1_bytes, r2_bytes, msg],
        ));
        let big_r = aggnonce.0.r1 + aggnonce.0.r2 * b;
        if bool::from(big_r.is_identity()) {
            return Err(Error::InvalidContribution {
                signer: None,
                contrib: Contribution::AggNonce,
            });
        }
        let big_r = big_r.to_affine();
        let r_x = x_bytes(&big_r);
        let e = challenge(&r_x, &q_s, msg);
        Ok(Self {
            b,
            final_nonce: ser33(&big_r),
            r_x,
            negated: !has_square_y(&big_r),
            e,
            tweak_term: ctx.taproot.as_ref().map(|t| e * t.tweak),
        })
    }
}

/// A signing session: the key context plus the values every signer derives from the
/// aggregate nonce and the message (spec 3.4). Build it once per session and use it to sign,
/// verify partial signatures and aggregate, without recomputing b, R and e.
///
/// For a Taproot context ([`KeyAggContext::with_taproot`]) b and e hash the output key Q',
/// and signer index 0 adds the tweak term e·t (spec 4).
#[derive(Debug, Clone)]
pub struct SessionContext {
    key_agg: KeyAggContext,
    values: SessionValues,
}

impl SessionContext {
    /// Computes b, R, the negation flag and e for this key context, aggregate nonce and
    /// 32-byte message.
    ///
    /// # Errors
    /// [`Error::WrongLength`] for a message other than 32 bytes, and
    /// [`Error::InvalidContribution`] with `contrib: AggNonce`, `signer: None` when
    /// `R = R1 + b·R2` is the point at infinity (abort the session).
    pub fn new(ctx: &KeyAggContext, aggnonce: &AggNonce, msg: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            values: SessionValues::compute(ctx, aggnonce, msg)?,
            key_agg: ctx.clone(),
        })
    }

    /// The key context this session signs for.
    pub fn key_agg_context(&self) -> &KeyAggContext {
        &self.key_agg
    }

    /// The nonce coefficient b as 32 big-endian bytes.
    pub fn nonce_coefficient(&self) -> [u8; 32] {
        scalar_bytes(&self.values.b)
    }

    /// `ser33(R1 + b·R2)`, **before** any negation (as the vector files print it).
    pub fn final_nonce(&self) -> [u8; 33] {
        self.values.final_nonce
    }

    /// Whether y(R) is not a quadratic residue, so every signer negates its nonce.
    pub fn nonce_negated(&self) -> bool {
        self.values.negated
    }

    /// The challenge `e = SHA256(x(R) ‖ ser33(Q_s) ‖ m) mod n` as 32 big-endian bytes.
    pub fn challenge(&self) -> [u8; 32] {
        scalar_bytes(&self.values.e)
    }

    /// The Taproot tweak term `e·t mod n` that signer index 0 adds, or `None` without Taproot.
    pub fn tweak_term(&self) -> Option<[u8; 32]> {
        self.values.tweak_term.as_ref().map(scalar_bytes)
    }

    /// Partial signing (spec 3.5, and 4 step 6 for Taproot), consuming the secret nonce.
    ///
    /// `signer_index` picks the sorted position to sign for; `None` takes the first position
    /// holding the signer's key. A key present at several positions needs one call (and one
    /// nonce) per position, each with its index.
    ///
    /// # Errors
    /// See [`sign_at`](super::sign_at).
    pub fn sign(
        &self,
        secnonce: SecNonce,
        sk: &[u8; 32],
        signer_index: Option<usize>,
    ) -> Result<PartialSignature, Error> {
        sign::sign_with(&self.values, &self.key_agg, secnonce, sk, signer_index)
    }

    /// Partial verification (spec 3.6, and 4 step 7 for Taproot) of signer `signer_index`'s
    /// partial signature against its public nonce.
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib: PartialSig` and `signer: Some(i)` when
    /// the partial signature is invalid: abort the session and blame that signer.
    /// [`Error::SignerIndexOutOfRange`] when the index is not a signer position.
    pub fn partial_sig_verify(
        &self,
        psig: &PartialSignature,
        pubnonce: &PubNonce,
        signer_index: usize,
    ) -> Result<(), Error> {
        sign::verify_with(&self.values, &self.key_agg, psig, pubnonce, signer_index)
    }

    /// Aggregation (spec 3.7): `x(R) ‖ Σ s_i mod n`, a Lotus Schnorr signature under
    /// [`KeyAggContext::aggregate_pubkey`]. Verify every partial signature first.
    ///
    /// # Errors
    /// [`Error::WrongSignerCount`] unless there is one partial signature per signer, and
    /// [`Error::InvalidContribution`] with `contrib: PartialSig`, `signer: None` if the sum is 0.
    pub fn partial_sig_agg(
        &self,
        psigs: &[PartialSignature],
    ) -> Result<[u8; SIGNATURE_LEN], Error> {
        sign::aggregate_with(&self.values, &self.key_agg, psigs)
    }
}

/// `R1 + b·R2` of one signer's public nonce, negated when the session negates (spec 3.6 step 2),
/// split as `(±R1, ±b)` so the caller can fold `±b·R2` into a multi-scalar multiplication.
pub(super) fn signed_nonce_terms(
    values: &SessionValues,
    pubnonce: &PubNonce,
) -> (ProjectivePoint, Scalar) {
    if values.negated {
        (-pubnonce.0.r1, -values.b)
    } else {
        (pubnonce.0.r1, values.b)
    }
}
