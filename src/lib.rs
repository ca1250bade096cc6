//! MuSig2 co-signing for browser and webview wallets over libp2p: the WebAssembly facade.
//!
//! This crate only converts types between JavaScript and Rust and wires promises and events;
//! cryptography lives in `musig2-crypto`, protocol decisions in `musig2-session` and networking
//! in `musig2-net`. On native targets it exports nothing but the crypto crate.
#![forbid(unsafe_code)]

pub use musig2_crypto as crypto;

#[cfg(target_arch = "wasm32")]
mod facade;
#[cfg(target_arch = "wasm32")]
pub use facade::*;
