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
