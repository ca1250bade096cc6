//! MuSig2 crypto core: BIP-327 (with BIP-340 signatures and BIP-341 Taproot tweaks) and the
//! Lotus MuSig2 scheme (Lotus Schnorr, 33-byte keys, Lotus Taproot), on `k256`.
//!
//! This crate performs no IO, reads no clock and never touches an OS random source: every
//! random input is a parameter.
#![forbid(unsafe_code)]

pub mod bip327;
pub mod bip340;
pub(crate) mod curve;
pub mod error;
pub mod hash;
pub mod lotus;
pub mod scheme;
pub mod secnonce;
pub mod taproot;

pub use error::{Contribution, Error};
pub use secnonce::SecNonce;
