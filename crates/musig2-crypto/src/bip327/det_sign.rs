//! Deterministic signing for one signer
//! ([BIP-327 "Deterministic and Stateless Signing for a Single Signer"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#deterministic-and-stateless-signing-for-a-single-signer)).

use zeroize::Zeroizing;

use crate::curve;
use crate::error::{Contribution, Error};
use crate::hash::tagged_hash;
use crate::secnonce::SecNonce;

use super::keyagg::{individual_pk, KeyAggContext};
use super::nonce::{AggNonce, PubNonce};
use super::sign::{PartialSignature, SessionContext};

/// `DeterministicSign`: signs `msg` in one step, after all other signers have sent their
/// nonces, deriving this signer's nonce from the secret key, the other signers' aggregate
/// nonce `aggothernonce`, the (tweaked) aggregate key of `key_ctx` and the message.
///
/// Returns this signer's public nonce (to send along, so the aggregate nonce can be formed)
/// and its partial signature. `rand` is optional extra randomness (32 bytes).
///
/// # Errors
/// - [`Error::InvalidContribution`] with `contrib: AggOtherNonce` and `signer: None` when
///   `aggothernonce` is not two valid compressed points.
/// - [`Error::InvalidSecretKey`], [`Error::SignerNotInKeys`] and the other errors of
///   [`SessionContext::sign`].
///
/// # Security
/// Only one signer of a session may sign deterministically, and only as the last one to
/// send a nonce: the other signers' nonces must be fixed before this call.
pub fn deterministic_sign(
    sk: &[u8; 32],
    aggothernonce: &[u8],
    key_ctx: &KeyAggContext,
    msg: &[u8],
    rand: Option<&[u8; 32]>,
) -> Result<(PubNonce, PartialSignature), Error> {
    let other = PubNonce::from_bytes(aggothernonce).map_err(|_| Error::InvalidContribution {
        signer: None,
        contrib: Contribution::AggOtherNonce,
    })?;
    let sk_ = Zeroizing::new(match rand {
        Some(rand) => curve::xor32(sk, &tagged_hash("MuSig/aux", &[rand])),
        None => *sk,
    });
    let aggpk = key_ctx.xonly_public_key();
    let msg_len = (msg.len() as u64).to_be_bytes();
    let k = |i: u8| {
        Zeroizing::new(curve::scalar_reduce(&tagged_hash(
            "MuSig/deterministic/nonce",
            &[&sk_[..], other.as_bytes(), &aggpk, &msg_len, msg, &[i]],
        )))
    };
    let (k1, k2) = (k(0), k(1));
    if bool::from(k1.is_zero() | k2.is_zero()) {
        return Err(Error::SecNonceOutOfRange);
    }
    let pubnonce = PubNonce::from_secret_scalars(&k1, &k2);
    let pk = individual_pk(sk)?;
    let aggnonce = AggNonce::sum(&[pubnonce.clone(), other])?;
    let session = SessionContext::new(key_ctx, &aggnonce, msg);
    let psig = session.sign(SecNonce::from_parts(*k1, *k2, pk), sk)?;
    Ok((pubnonce, psig))
}
