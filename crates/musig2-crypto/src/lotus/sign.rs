//! Partial signing, partial verification and aggregation (spec 3.5–3.7, 4 steps 6–8).

use k256::elliptic_curve::ops::{LinearCombination, MulByGenerator};
use k256::{ProjectivePoint, Scalar};
use zeroize::Zeroize;

use crate::error::{Contribution, Error};
use crate::secnonce::SecNonce;

use super::encoding::{scalar_below_n, scalar_bytes};
use super::key_agg::{keypair, KeyAggContext};
use super::nonce::{nonce_agg, AggNonce, PubNonce};
use super::schnorr::SIGNATURE_LEN;
use super::session::{signed_nonce_terms, SessionValues};

/// A partial signature `s_i`: a scalar below n, 32 bytes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialSignature(Scalar);

impl PartialSignature {
    /// Parses 32 big-endian bytes. Values ≥ n are rejected (spec 3.6 step 1 \[rec\]; lotus-sdk
    /// would reduce them, but honest signers never send them).
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib: PartialSig` and `signer: None` for a wrong
    /// length or a value ≥ n: the caller knows the sender and should name it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        scalar_below_n(bytes)
            .map(Self)
            .ok_or(Error::InvalidContribution {
                signer: None,
                contrib: Contribution::PartialSig,
            })
    }

    /// The 32-byte big-endian encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        scalar_bytes(&self.0)
    }
}

/// Partial signing (spec 3.5) for the first sorted position holding the signer's key.
///
/// Takes the secret nonce by value: it is consumed (and zeroized) whatever the outcome, so it
/// can never sign twice. For a key present at several positions use [`sign_at`].
///
/// # Errors
/// As [`sign_at`], except that an absent key gives [`Error::SignerNotInKeys`].
pub fn sign(
    secnonce: SecNonce,
    sk: &[u8; 32],
    ctx: &KeyAggContext,
    aggnonce: &AggNonce,
    msg: &[u8],
) -> Result<PartialSignature, Error> {
    let values = SessionValues::compute(ctx, aggnonce, msg)?;
    sign_with(&values, ctx, secnonce, sk, None)
}

/// Partial signing (spec 3.5) for sorted position `signer_index`:
/// `s_i = ±(k1 + b·k2) + e·a_i·x_i (+ e·t for index 0 of a Taproot context) mod n`.
///
/// # Errors
/// [`Error::InvalidSecretKey`] for a bad `sk`; [`Error::SecNonceKeyMismatch`] when the secret
/// nonce was generated for another key; [`Error::SignerIndexOutOfRange`] for an index past the
/// key list; [`Error::SignerNotInKeys`] when that position holds another key;
/// [`Error::WrongLength`] for a message other than 32 bytes; and
/// [`Error::InvalidContribution`] (`AggNonce`, no signer) when the final nonce is infinity.
pub fn sign_at(
    secnonce: SecNonce,
    sk: &[u8; 32],
    ctx: &KeyAggContext,
    aggnonce: &AggNonce,
    msg: &[u8],
    signer_index: usize,
) -> Result<PartialSignature, Error> {
    let values = SessionValues::compute(ctx, aggnonce, msg)?;
    sign_with(&values, ctx, secnonce, sk, Some(signer_index))
}

/// Partial verification (spec 3.6): checks signer `signer_index`'s partial signature against
/// all signers' public nonces (one per sorted position), the key context and the message.
///
/// Aggregates the nonces and computes the session values on every call; to verify all
/// signers of one session, build a [`SessionContext`](super::SessionContext) once instead.
///
/// # Errors
/// [`Error::InvalidContribution`] with `contrib: PartialSig`, `signer: Some(signer_index)` when
/// the partial signature is invalid; [`Error::WrongSignerCount`] unless there is one public
/// nonce per signer; [`Error::SignerIndexOutOfRange`]; and the errors of [`nonce_agg`] and
/// [`SessionContext::new`](super::SessionContext::new).
pub fn partial_sig_verify(
    psig: &PartialSignature,
    pubnonces: &[PubNonce],
    ctx: &KeyAggContext,
    msg: &[u8],
    signer_index: usize,
) -> Result<(), Error> {
    check_count(ctx, pubnonces.len())?;
    let pubnonce = pubnonces
        .get(signer_index)
        .ok_or(Error::SignerIndexOutOfRange {
            index: signer_index,
            signers: ctx.signer_count(),
        })?;
    let aggnonce = nonce_agg(pubnonces)?;
    let values = SessionValues::compute(ctx, &aggnonce, msg)?;
    verify_with(&values, ctx, psig, pubnonce, signer_index)
}

/// Aggregation (spec 3.7): `x(R) ‖ (Σ s_i mod n)`, one partial signature per sorted position.
/// Verify each partial signature before aggregating.
///
/// # Errors
/// [`Error::WrongSignerCount`] unless there is one partial signature per signer,
/// [`Error::InvalidContribution`] (`PartialSig`, no signer) when the sum is 0, and the errors
/// of [`SessionContext::new`](super::SessionContext::new).
pub fn partial_sig_agg(
    psigs: &[PartialSignature],
    ctx: &KeyAggContext,
    aggnonce: &AggNonce,
    msg: &[u8],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    check_count(ctx, psigs.len())?;
    let values = SessionValues::compute(ctx, aggnonce, msg)?;
    aggregate_with(&values, ctx, psigs)
}

pub(super) fn sign_with(
    values: &SessionValues,
    ctx: &KeyAggContext,
    secnonce: SecNonce,
    sk: &[u8; 32],
    signer_index: Option<usize>,
) -> Result<PartialSignature, Error> {
    let (mut x, pk) = keypair(sk)?;
    if *secnonce.public_key() != pk {
        x.zeroize();
        return Err(Error::SecNonceKeyMismatch);
    }
    let index = match signer_index {
        Some(i) => {
            if i >= ctx.signer_count() {
                x.zeroize();
                return Err(Error::SignerIndexOutOfRange {
                    index: i,
                    signers: ctx.signer_count(),
                });
            }
            Some(i).filter(|&i| ctx.pubkeys.get(i) == Some(&pk))
        }
        None => ctx.signer_index(&pk),
    };
    let Some(index) = index else {
        x.zeroize();
        return Err(Error::SignerNotInKeys);
    };
    let (_, a) = ctx.slot(index)?;

    let mut k = *secnonce.k1() + values.b * secnonce.k2();
    drop(secnonce);
    if values.negated {
        k = -k;
    }
    let mut s = k + values.e * a * x;
    k.zeroize();
    x.zeroize();
    if index == 0 {
        if let Some(t) = &values.tweak_term {
            s += t;
        }
    }
    Ok(PartialSignature(s))
}

pub(super) fn verify_with(
    values: &SessionValues,
    ctx: &KeyAggContext,
    psig: &PartialSignature,
    pubnonce: &PubNonce,
    signer_index: usize,
) -> Result<(), Error> {
    let (point, a) = ctx.slot(signer_index)?;
    let mut s = psig.0;
    if signer_index == 0 {
        if let Some(t) = &values.tweak_term {
            s -= t;
        }
    }
    // s·G == ±R1_i ± b·R2_i + (e·a_i)·P_i, with the two variable-base products in one
    // multi-scalar multiplication. lotus-sdk also rejects R_i = O; reaching it needs
    // R1_i = −b·R2_i with b hashing R1_i itself, which is as hard as inverting the hash.
    let (r1, b) = signed_nonce_terms(values, pubnonce);
    let rhs = ProjectivePoint::lincomb(&pubnonce.0.r2, &b, point, &(values.e * a)) + r1;
    if ProjectivePoint::mul_by_generator(&s) == rhs {
        Ok(())
    } else {
        Err(Error::InvalidContribution {
            signer: Some(signer_index),
            contrib: Contribution::PartialSig,
        })
    }
}

pub(super) fn aggregate_with(
    values: &SessionValues,
    ctx: &KeyAggContext,
    psigs: &[PartialSignature],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    check_count(ctx, psigs.len())?;
    let s = psigs.iter().fold(Scalar::ZERO, |acc, p| acc + p.0);
    if bool::from(s.is_zero()) {
        return Err(Error::InvalidContribution {
            signer: None,
            contrib: Contribution::PartialSig,
        });
    }
    let mut sig = [0u8; SIGNATURE_LEN];
    let (r_out, s_out) = sig.split_at_mut(32);
    r_out.copy_from_slice(&values.r_x);
    s_out.copy_from_slice(&scalar_bytes(&s));
    Ok(sig)
}

fn check_count(ctx: &KeyAggContext, got: usize) -> Result<(), Error> {
    if got == ctx.signer_count() {
        Ok(())
    } else {
        Err(Error::WrongSignerCount {
            expected: ctx.signer_count(),
            got,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::encoding::small_secret;
    use super::super::key_agg::public_key;
    use super::super::nonce::nonce_gen;
    use super::*;

    const MSG: [u8; 32] = [5; 32];

    struct Setup {
        sks: Vec<[u8; 32]>,
        ctx: KeyAggContext,
        secnonces: Vec<SecNonce>,
        pubnonces: Vec<PubNonce>,
        aggnonce: AggNonce,
    }

    /// Signers with secret keys 1..=n; nonces in sorted order.
    fn setup(n: u8) -> Setup {
        let sks: Vec<[u8; 32]> = (1..=n).map(small_secret).collect();
        let pks: Vec<[u8; 33]> = sks.iter().map(|s| public_key(s).unwrap()).collect();
        let ctx = KeyAggContext::new(&pks).unwrap();
        let sks: Vec<[u8; 32]> = ctx.sorted_order().iter().map(|&i| sks[i]).collect();
        let (secnonces, pubnonces): (Vec<_>, Vec<_>) = sks
            .iter()
            .map(|sk| nonce_gen(sk, &ctx.internal_pubkey(), Some(&MSG), Some(&[1; 32])).unwrap())
            .unzip();
        let aggnonce = nonce_agg(&pubnonces).unwrap();
        Setup {
            sks,
            ctx,
            secnonces,
            pubnonces,
            aggnonce,
        }
    }

    #[test]
    fn signing_checks_nonce_key_index_and_message() {
        let mut s = setup(3);
        let n2 = s.secnonces.pop().unwrap();
        let n1 = s.secnonces.pop().unwrap();
        let n0 = s.secnonces.pop().unwrap();
        // A nonce made for signer 1 cannot be used with signer 0's key.
        assert_eq!(
            sign(n1, &s.sks[0], &s.ctx, &s.aggnonce, &MSG),
            Err(Error::SecNonceKeyMismatch)
        );
        assert_eq!(
            sign_at(n0, &s.sks[0], &s.ctx, &s.aggnonce, &MSG, 1),
            Err(Error::SignerNotInKeys)
        );
        assert_eq!(
            sign_at(n2, &s.sks[2], &s.ctx, &s.aggnonce, &MSG, 3),
            Err(Error::SignerIndexOutOfRange {
                index: 3,
                signers: 3
            })
        );
        let (outsider_nonce, _) = nonce_gen(&small_secret(9), &[2; 33], None, None).unwrap();
        assert_eq!(
            sign(outsider_nonce, &small_secret(9), &s.ctx, &s.aggnonce, &MSG),
            Err(Error::SignerNotInKeys)
        );
        let (n, _) = nonce_gen(&s.sks[0], &[2; 33], None, None).unwrap();
        assert_eq!(
            sign(n, &s.sks[0], &s.ctx, &s.aggnonce, &MSG[..31]),
            Err(Error::WrongLength {
                expected: 32,
                got: 31
            })
        );
    }

    #[test]
    fn verification_and_aggregation_check_counts() {
        let s = setup(2);
        let psigs: Vec<PartialSignature> = s
            .secnonces
            .into_iter()
            .zip(&s.sks)
            .map(|(n, sk)| sign(n, sk, &s.ctx, &s.aggnonce, &MSG).unwrap())
            .collect();
        for (i, p) in psigs.iter().enumerate() {
            assert_eq!(partial_sig_verify(p, &s.pubnonces, &s.ctx, &MSG, i), Ok(()));
        }
        assert_eq!(
            partial_sig_verify(&psigs[0], &s.pubnonces[..1], &s.ctx, &MSG, 0),
            Err(Error::WrongSignerCount {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            partial_sig_verify(&psigs[0], &s.pubnonces, &s.ctx, &MSG, 2),
            Err(Error::SignerIndexOutOfRange {
                index: 2,
                signers: 2
            })
        );
        assert_eq!(
            partial_sig_agg(&psigs[..1], &s.ctx, &s.aggnonce, &MSG),
            Err(Error::WrongSignerCount {
                expected: 2,
                got: 1
            })
        );
        // Partial signatures that cancel out give s = 0, which is refused.
        let cancel = [psigs[0], PartialSignature(-psigs[0].0)];
        assert_eq!(
            partial_sig_agg(&cancel, &s.ctx, &s.aggnonce, &MSG),
            Err(Error::InvalidContribution {
                signer: None,
                contrib: Contribution::PartialSig
            })
        );
    }

    #[test]
    fn partial_signature_parsing_rejects_out_of_range() {
        let err = Err(Error::InvalidContribution {
            signer: None,
            contrib: Contribution::PartialSig,
        });
        assert_eq!(PartialSignature::from_bytes(&[0xff; 32]), err);
        assert_eq!(PartialSignature::from_bytes(&[1; 31]), err);
        let p = PartialSignature::from_bytes(&[1; 32]).unwrap();
        assert_eq!(p.to_bytes(), [1; 32]);
    }
}
