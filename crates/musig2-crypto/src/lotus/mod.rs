//! The Lotus MuSig2 scheme, Lotus Schnorr signatures and Lotus Taproot key-path signing, as
//! lotus-sdk 0.2.0 implements them (spec: `shared/specs/lotus-musig2.md`).
//!
//! **Not BIP-327 / BIP-340 / BIP-341 compatible.** The differences that matter to callers:
//! keys are always 33-byte compressed points and are always sorted, the aggregate key is a full
//! point (no x-only form), nonces are negated when the final nonce's y is not a quadratic
//! residue (not when it is odd), and the challenge is an untagged SHA-256 over
//! `x(R) ‖ ser33(Q) ‖ m`. The result of a session is an ordinary Lotus Schnorr signature.
//!
//! The names mirror the BIP-327 module so both schemes can be dispatched on a scheme parameter:
//!
//! | step | this module |
//! |---|---|
//! | key aggregation (spec 3.1) | [`KeyAggContext::new`] |
//! | Taproot tweak (spec 4) | [`KeyAggContext::with_taproot`], [`taproot_tweak`], [`taproot_output_key`] |
//! | nonce generation (3.2) | [`nonce_gen`] |
//! | nonce aggregation (3.3) | [`nonce_agg`] |
//! | session values (3.4) | [`SessionContext::new`] |
//! | partial signing (3.5) | [`sign`], [`sign_at`], [`SessionContext::sign`] |
//! | partial verification (3.6) | [`partial_sig_verify`], [`SessionContext::partial_sig_verify`] |
//! | aggregation (3.7) | [`partial_sig_agg`], [`SessionContext::partial_sig_agg`] |
//! | single-signer Lotus Schnorr (2) | [`schnorr_sign`], [`schnorr_verify`] |
//!
//! Messages are exactly 32 bytes everywhere (a Lotus sighash or a SHA-256 digest): anything else
//! would produce a signature that Lotus Schnorr verification rejects.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod encoding;
mod key_agg;
mod nonce;
mod qr;
mod schnorr;
mod session;
mod sign;
mod taproot;

pub use key_agg::{public_key, KeyAggContext};
pub use nonce::{nonce_agg, nonce_gen, AggNonce, PubNonce, AGGNONCE_LEN, PUBNONCE_LEN};
pub use schnorr::{schnorr_sign, schnorr_verify, SIGNATURE_LEN};
pub use session::SessionContext;
pub use sign::{partial_sig_agg, partial_sig_verify, sign, sign_at, PartialSignature};
pub use taproot::{
    taproot_output_key, taproot_script_pubkey, taproot_script_pubkey_with_state, taproot_tweak,
    TAPROOT_SCRIPT_LEN, TAPROOT_STATE_SCRIPT_LEN,
};

/// Intermediate secret values, exposed only so the test vectors can check them.
///
/// # Security
/// Both functions return values from which a secret nonce follows. Never call them outside
/// tests; nothing in a signing flow needs them.
#[doc(hidden)]
pub mod dangerous_internals {
    pub use super::nonce::dangerous_nonce_aux;
    pub use super::schnorr::dangerous_nonce_rfc6979;
}

/// Length in bytes of every message this scheme signs.
pub const MSG_LEN: usize = 32;
