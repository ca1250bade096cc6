//! [BIP-327](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki) MuSig2:
//! n-of-n multi-signatures that verify as single BIP-340 Schnorr signatures.
//!
//! A signing round, with the names of the specification:
//! 1. Every signer announces its key; everyone builds the same [`KeyAggContext`] (optionally
//!    sorting the keys with [`key_sort`] first) and applies the same tweaks.
//! 2. Every signer calls [`nonce_gen`] with 32 fresh random bytes and sends its [`PubNonce`].
//! 3. The nonces are aggregated ([`nonce_agg`] / [`AggNonce::sum`]); every signer builds the
//!    [`SessionContext`] and signs with [`SessionContext::sign`], which consumes the
//!    [`SecNonce`](crate::SecNonce).
//! 4. Each [`PartialSignature`] is checked with [`SessionContext::partial_sig_verify`] (a
//!    failure names the signer to blame) and [`SessionContext::partial_sig_agg`] yields the
//!    64-byte signature, which [`crate::bip340::verify`] accepts for
//!    [`KeyAggContext::xonly_public_key`].
//!
//! Every function that parses bytes from other parties returns
//! [`Error::InvalidContribution`](crate::Error::InvalidContribution) naming the culprit.
//!
//! # Example
//! ```
//! use musig2_crypto::bip327::{
//!     individual_pk, nonce_agg, nonce_gen, KeyAggContext, NonceGenInputs, SessionContext,
//! };
//! use musig2_crypto::bip340;
//! # fn main() -> Result<(), musig2_crypto::Error> {
//! let sks = [[1u8; 32], [2u8; 32]];
//! let pks = [individual_pk(&sks[0])?, individual_pk(&sks[1])?];
//! let key_ctx = KeyAggContext::new(&pks)?;
//! let msg = b"any length";
//! // Round 1: every signer draws 32 fresh random bytes (fixed here) and sends its PubNonce.
//! let inputs = NonceGenInputs { sk: Some(&sks[0]), msg: Some(msg), ..Default::default() };
//! let (sec0, pub0) = nonce_gen(&[7u8; 32], &pks[0], inputs)?;
//! let (sec1, pub1) = nonce_gen(&[8u8; 32], &pks[1], NonceGenInputs::default())?;
//! let aggnonce = nonce_agg(&[pub0.as_bytes(), pub1.as_bytes()])?;
//! // Round 2: every signer signs; anyone can check each partial signature and aggregate.
//! let session = SessionContext::new(&key_ctx, &aggnonce, msg);
//! let psig0 = session.sign(sec0, &sks[0])?;
//! let psig1 = session.sign(sec1, &sks[1])?;
//! session.partial_sig_verify(&psig0, &pub0, 0)?;
//! session.partial_sig_verify(&psig1, &pub1, 1)?;
//! let sig = session.partial_sig_agg(&[psig0, psig1]);
//! assert!(bip340::verify(&key_ctx.xonly_public_key(), msg, &sig));
//! # Ok(())
//! # }
//! ```
//!
//! A secret nonce is consumed by signing, so signing twice with it does not compile:
//! ```compile_fail,E0382
//! use musig2_crypto::bip327::{
//!     individual_pk, nonce_agg, nonce_gen, KeyAggContext, NonceGenInputs, SessionContext,
//! };
//! use musig2_crypto::bip340;
//! # fn main() -> Result<(), musig2_crypto::Error> {
//! let sks = [[1u8; 32], [2u8; 32]];
//! let pks = [individual_pk(&sks[0])?, individual_pk(&sks[1])?];
//! let key_ctx = KeyAggContext::new(&pks)?;
//! let msg = b"any length";
//! let (sec0, pub0) = nonce_gen(&[7u8; 32], &pks[0], NonceGenInputs::default())?;
//! let session = SessionContext::new(&key_ctx, &nonce_agg(&[pub0.as_bytes()])?, msg);
//! let first = session.sign(sec0, &sks[0])?;
//! let second = session.sign(sec0, &sks[0])?; // error: use of moved value `sec0`
//! # Ok(())
//! # }
//! ```
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod det_sign;
mod keyagg;
mod nonce;
mod sign;

pub use det_sign::deterministic_sign;
pub use keyagg::{individual_pk, key_sort, KeyAggContext, Tweak, PUBKEY_LEN};
pub use nonce::{nonce_agg, nonce_gen, AggNonce, NonceGenInputs, PubNonce, NONCE_LEN};
pub use sign::{
    partial_sig_agg, partial_sig_verify, PartialSignature, SessionContext, PARTIAL_SIG_LEN,
};
