//! Session context, signing, partial signature verification and aggregation
//! ([BIP-327 "Signing"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#signing)).

use k256::elliptic_curve::ops::MulByGenerator;
use k256::{AffinePoint, ProjectivePoint, Scalar};
use zeroize::Zeroizing;

use crate::bip340;
use crate::curve;
use crate::error::{Contribution, Error};
use crate::hash::tagged_hash;
use crate::secnonce::SecNonce;

use super::keyagg::{KeyAggContext, Tweak};
use super::nonce::{AggNonce, PubNonce};

/// Length of an encoded [`PartialSignature`].
pub const PARTIAL_SIG_LEN: usize = 32;

/// A signer's partial signature `s_i`, a scalar below the group order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialSignature(Scalar);

impl PartialSignature {
    /// Parses a 32-byte partial signature.
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib: PartialSig` and `signer: None` when the
    /// length is wrong or the value is not below the group order; callers that know who sent
    /// the bytes replace `None` with that signer's index.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        <&[u8; PARTIAL_SIG_LEN]>::try_from(bytes)
            .ok()
            .and_then(curve::scalar_from_bytes)
            .map(Self)
            .ok_or(Error::InvalidContribution {
                signer: None,
                contrib: Contribution::PartialSig,
            })
    }

    /// The 32-byte big-endian encoding.
    pub fn to_bytes(&self) -> [u8; PARTIAL_SIG_LEN] {
        curve::scalar_to_bytes(&self.0)
    }
}

/// The values of one signing session ([BIP-327 "Session Context"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#session-context)):
/// the (tweaked) key aggregation context, the message and the aggregate nonce, reduced once
/// to `b`, `R` and `e` of `GetSessionValues`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionContext {
    key_ctx: KeyAggContext,
    /// The nonce coefficient `b`.
    b: Scalar,
    /// The final nonce `R`; never infinity.
    r: AffinePoint,
    /// The challenge `e`.
    e: Scalar,
}

impl SessionContext {
    /// Builds the session for signing `msg` (any length) under `key_ctx` with the aggregate
    /// nonce `aggnonce`. Costs one scalar multiplication.
    pub fn new(key_ctx: &KeyAggContext, aggnonce: &AggNonce, msg: &[u8]) -> Self {
        let qx = key_ctx.xonly_public_key();
        let b = curve::scalar_reduce(&tagged_hash(
            "MuSig/noncecoef",
            &[aggnonce.as_bytes(), &qx, msg],
        ));
        let (r1, r2) = aggnonce.points();
        let r = ProjectivePoint::from(*r2) * b + r1;
        let r = if curve::is_identity(&r) {
            AffinePoint::GENERATOR
        } else {
            r.to_affine()
        };
        let e = bip340::challenge(&curve::xbytes(&r), &qx, msg);
        Self {
            key_ctx: key_ctx.clone(),
            b,
            r,
            e,
        }
    }

    /// The key aggregation context this session signs under.
    pub fn key_agg_context(&self) -> &KeyAggContext {
        &self.key_ctx
    }

    /// `g⋅gacc`: the sign that turns a signer's key share into a share of the x-only key.
    fn key_sign(&self) -> Scalar {
        curve::negate_if(*self.key_ctx.gacc(), !curve::has_even_y(self.key_ctx.q()))
    }

    /// `Sign` ([BIP-327 "Signing"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#signing)):
    /// the partial signature of the signer with secret key `sk`.
    ///
    /// The secret nonce is taken by value and dropped (zeroized) before returning, on success
    /// and on error alike, so it can never be used twice.
    ///
    /// # Errors
    /// - [`Error::SecNonceOutOfRange`] when a secret nonce scalar is zero.
    /// - [`Error::InvalidSecretKey`] when `sk` is zero or not below the group order.
    /// - [`Error::SecNonceKeyMismatch`] when the nonce was generated for another key.
    /// - [`Error::SignerNotInKeys`] when the signer's key is not one of the aggregated keys.
    /// - [`Error::InvalidSignature`] if the partial signature fails its own verification
    ///   (a computation fault).
    ///
    /// # Security
    /// As BIP-327 recommends, the partial signature is verified before it is returned, so a
    /// computation fault cannot leak the secret key.
    pub fn sign(&self, secnonce: SecNonce, sk: &[u8; 32]) -> Result<PartialSignature, Error> {
        let k1_ = Zeroizing::new(*secnonce.k1());
        let k2_ = Zeroizing::new(*secnonce.k2());
        if bool::from(k1_.is_zero() | k2_.is_zero()) {
            return Err(Error::SecNonceOutOfRange);
        }
        let d_ =
            Zeroizing::new(curve::nonzero_scalar_from_bytes(sk).ok_or(Error::InvalidSecretKey)?);
        let p = ProjectivePoint::mul_by_generator(&*d_).to_affine();
        let pk = curve::cbytes(&p);
        if &pk != secnonce.public_key() {
            return Err(Error::SecNonceKeyMismatch);
        }
        let a = *self.key_ctx.coeff_of(&pk).ok_or(Error::SignerNotInKeys)?;
        let r_even = curve::has_even_y(&self.r);
        let k1 = Zeroizing::new(curve::negate_if(*k1_, !r_even));
        let k2 = Zeroizing::new(curve::negate_if(*k2_, !r_even));
        let d = Zeroizing::new(self.key_sign() * *d_);
        let s = *k1 + self.b * *k2 + self.e * a * *d;
        let pubnonce = PubNonce::from_secret_scalars(&k1_, &k2_);
        if !self.verify_share(&s, &pubnonce, &p, &a) {
            return Err(Error::InvalidSignature);
        }
        Ok(PartialSignature(s))
    }

    /// `PartialSigVerifyInternal` ([BIP-327 "Partial Signature Verification"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#partial-signature-verification)):
    /// checks the partial signature of the signer at index `signer` of the key aggregation
    /// context, whose public nonce is `pubnonce`.
    ///
    /// # Errors
    /// - [`Error::InvalidContribution`] with `contrib: PartialSig` naming `signer` when the
    ///   partial signature is wrong.
    /// - [`Error::SignerIndexOutOfRange`] when `signer` is not an index of the key list.
    pub fn partial_sig_verify(
        &self,
        psig: &PartialSignature,
        pubnonce: &PubNonce,
        signer: usize,
    ) -> Result<(), Error> {
        let (p, a) = self
            .key_ctx
            .signer(signer)
            .ok_or(Error::SignerIndexOutOfRange {
                index: signer,
                signers: self.key_ctx.len(),
            })?;
        if self.verify_share(&psig.0, pubnonce, p, a) {
            Ok(())
        } else {
            Err(Error::InvalidContribution {
                signer: Some(signer),
                contrib: Contribution::PartialSig,
            })
        }
    }

    /// Checks `s⋅G = Re_s + e⋅a⋅g⋅gacc⋅P`, where `Re_s = ±(R_s1 + b⋅R_s2)` with the sign of the
    /// final nonce's y parity, as `s⋅G - (e⋅a⋅g⋅gacc)⋅P ∓ b⋅R_s2 = ±R_s1` in one
    /// multi-scalar multiplication. Every input is public (`s` is the partial signature that
    /// is sent out), so the variable-time algorithm is safe, also for the self-check in
    /// [`SessionContext::sign`].
    fn verify_share(&self, s: &Scalar, pubnonce: &PubNonce, p: &AffinePoint, a: &Scalar) -> bool {
        let r_even = curve::has_even_y(&self.r);
        let (r_s1, r_s2) = pubnonce.points();
        let rhs = if r_even { *r_s1 } else { -*r_s1 };
        let lhs = curve::msm_vartime(&[
            (ProjectivePoint::GENERATOR, *s),
            ((*p).into(), -(self.e * a * self.key_sign())),
            ((*r_s2).into(), curve::negate_if(self.b, r_even)),
        ]);
        lhs == rhs
    }

    /// `PartialSigAgg` ([BIP-327 "Partial Signature Aggregation"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#partial-signature-aggregation)):
    /// the final 64-byte BIP-340 signature from all signers' partial signatures.
    ///
    /// Partial signatures that were not verified may produce an invalid signature; verify
    /// each with [`SessionContext::partial_sig_verify`] to find the culprit.
    pub fn partial_sig_agg(&self, psigs: &[PartialSignature]) -> [u8; bip340::SIGNATURE_LEN] {
        let s_sum: Scalar = psigs.iter().map(|p| p.0).sum();
        let g = curve::negate_if(Scalar::ONE, !curve::has_even_y(self.key_ctx.q()));
        let s = s_sum + self.e * g * self.key_ctx.tacc();
        let mut sig = [0u8; bip340::SIGNATURE_LEN];
        let (r, s_bytes) = sig.split_at_mut(32);
        r.copy_from_slice(&curve::xbytes(&self.r));
        s_bytes.copy_from_slice(&curve::scalar_to_bytes(&s));
        sig
    }
}

/// `PartialSigAgg` on encoded partial signatures, in signer order.
///
/// # Errors
/// [`Error::InvalidContribution`] with `contrib: PartialSig` naming the first index of `psigs`
/// whose value is malformed (wrong length or not below the group order).
pub fn partial_sig_agg<B: AsRef<[u8]>>(
    psigs: &[B],
    session: &SessionContext,
) -> Result<[u8; bip340::SIGNATURE_LEN], Error> {
    let parsed = psigs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            PartialSignature::from_bytes(p.as_ref()).map_err(|_| Error::InvalidContribution {
                signer: Some(i),
                contrib: Contribution::PartialSig,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(session.partial_sig_agg(&parsed))
}

/// `PartialSigVerify` ([BIP-327 "Partial Signature Verification"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#partial-signature-verification)),
/// from encoded inputs: verifies the partial signature `psig` of signer `i` for the session
/// given by all signers' public nonces and keys, the tweaks and the message.
///
/// Long-lived code builds the [`KeyAggContext`] and [`SessionContext`] once and calls
/// [`SessionContext::partial_sig_verify`] for each signer instead.
///
/// # Errors
/// - [`Error::WrongSignerCount`] when `pubnonces` and `pubkeys` differ in length.
/// - [`Error::InvalidContribution`] naming the culprit: a malformed public nonce or key
///   (index into the lists), or signer `i` for a wrong or malformed partial signature.
/// - The tweak errors of [`KeyAggContext::apply_tweak`], [`Error::Empty`] for no signers and
///   [`Error::SignerIndexOutOfRange`] when `i` is out of range.
pub fn partial_sig_verify<N: AsRef<[u8]>, K: AsRef<[u8]>>(
    psig: &[u8],
    pubnonces: &[N],
    pubkeys: &[K],
    tweaks: &[Tweak],
    msg: &[u8],
    i: usize,
) -> Result<(), Error> {
    if pubnonces.len() != pubkeys.len() {
        return Err(Error::WrongSignerCount {
            expected: pubkeys.len(),
            got: pubnonces.len(),
        });
    }
    let nonces = pubnonces
        .iter()
        .enumerate()
        .map(|(j, n)| PubNonce::from_signer_bytes(n.as_ref(), j))
        .collect::<Result<Vec<_>, _>>()?;
    let aggnonce = AggNonce::sum(&nonces)?;
    let key_ctx = KeyAggContext::new(pubkeys)?.with_tweaks(tweaks)?;
    let session = SessionContext::new(&key_ctx, &aggnonce, msg);
    let pubnonce = nonces.get(i).ok_or(Error::SignerIndexOutOfRange {
        index: i,
        signers: nonces.len(),
    })?;
    let psig = PartialSignature::from_bytes(psig).map_err(|_| Error::InvalidContribution {
        signer: Some(i),
        contrib: Contribution::PartialSig,
    })?;
    session.partial_sig_verify(&psig, pubnonce, i)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::keyagg::individual_pk;
    use super::super::nonce::{nonce_gen, NonceGenInputs};
    use super::*;

    fn pk_of(sk: &[u8; 32]) -> [u8; 33] {
        individual_pk(sk).unwrap()
    }

    #[test]
    fn two_signers_produce_a_valid_signature() {
        let sks = [[1u8; 32], [2u8; 32]];
        let pks: Vec<_> = sks.iter().map(pk_of).collect();
        let key_ctx = KeyAggContext::new(&pks).unwrap();
        let msg = b"two signers";
        let (secs, pubs): (Vec<_>, Vec<_>) = pks
            .iter()
            .enumerate()
            .map(|(i, pk)| nonce_gen(&[i as u8; 32], pk, NonceGenInputs::default()).unwrap())
            .unzip();
        let session = SessionContext::new(&key_ctx, &AggNonce::sum(&pubs).unwrap(), msg);
        let psigs: Vec<_> = secs
            .into_iter()
            .zip(&sks)
            .map(|(sec, sk)| session.sign(sec, sk).unwrap())
            .collect();
        for (i, psig) in psigs.iter().enumerate() {
            session.partial_sig_verify(psig, &pubs[i], i).unwrap();
        }
        assert_eq!(
            session.partial_sig_verify(&psigs[0], &pubs[0], 1),
            Err(Error::InvalidContribution {
                signer: Some(1),
                contrib: Contribution::PartialSig
            })
        );
        assert_eq!(
            session.partial_sig_verify(&psigs[0], &pubs[0], 2),
            Err(Error::SignerIndexOutOfRange {
                index: 2,
                signers: 2
            })
        );
        let nonces = [pubs[0].as_bytes(), pubs[1].as_bytes()];
        assert_eq!(
            partial_sig_verify(&psigs[0].to_bytes(), &nonces[..1], &pks, &[], msg, 0),
            Err(Error::WrongSignerCount {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            partial_sig_verify(&psigs[0].to_bytes(), &nonces, &pks, &[], msg, 0),
            Ok(())
        );
        assert_eq!(
            partial_sig_verify(&psigs[0].to_bytes(), &nonces, &pks, &[], msg, 5),
            Err(Error::SignerIndexOutOfRange {
                index: 5,
                signers: 2
            })
        );
        let sig = session.partial_sig_agg(&psigs);
        assert!(bip340::verify(&key_ctx.xonly_public_key(), msg, &sig));
    }

    #[test]
    fn tweaked_rounds_verify_whatever_the_tweak_signs() {
        // Over several key sets, x-only tweaks of odd keys make gacc = n - 1 in some runs;
        // the aggregated signature must still verify for the tweaked key.
        let mut saw_negated_gacc = false;
        for seed in 1u8..=12 {
            let sks = [[seed; 32], [seed.wrapping_mul(7).wrapping_add(1); 32]];
            let pks: Vec<_> = sks.iter().map(pk_of).collect();
            let tweaks = [
                Tweak::xonly([seed; 32]),
                Tweak::plain([3; 32]),
                Tweak::xonly([5; 32]),
            ];
            let key_ctx = KeyAggContext::new(&pks)
                .unwrap()
                .with_tweaks(&tweaks)
                .unwrap();
            saw_negated_gacc |= *key_ctx.gacc() != Scalar::ONE;
            let (secs, pubs): (Vec<_>, Vec<_>) = pks
                .iter()
                .map(|pk| nonce_gen(&[seed; 32], pk, NonceGenInputs::default()).unwrap())
                .unzip();
            let session = SessionContext::new(&key_ctx, &AggNonce::sum(&pubs).unwrap(), b"m");
            let psigs: Vec<_> = secs
                .into_iter()
                .zip(&sks)
                .map(|(n, sk)| session.sign(n, sk).unwrap())
                .collect();
            let sig = session.partial_sig_agg(&psigs);
            assert!(
                bip340::verify(&key_ctx.xonly_public_key(), b"m", &sig),
                "seed {seed}"
            );
        }
        assert!(saw_negated_gacc);
    }

    #[test]
    fn sign_checks_the_nonce_key() {
        let pks = [pk_of(&[1u8; 32]), pk_of(&[2u8; 32])];
        let key_ctx = KeyAggContext::new(&pks).unwrap();
        let (sec, pubn) = nonce_gen(&[0; 32], &pks[1], NonceGenInputs::default()).unwrap();
        let session = SessionContext::new(&key_ctx, &AggNonce::sum(&[pubn]).unwrap(), b"");
        assert_eq!(
            session.sign(sec, &[1u8; 32]),
            Err(Error::SecNonceKeyMismatch)
        );
    }

    #[test]
    fn partial_signature_parsing_is_strict() {
        assert!(PartialSignature::from_bytes(&[0xFF; 32]).is_err());
        assert!(PartialSignature::from_bytes(&[0x01; 31]).is_err());
        let p = PartialSignature::from_bytes(&[0x01; 32]).unwrap();
        assert_eq!(p.to_bytes(), [0x01; 32]);
    }
}
