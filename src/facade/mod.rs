//! JavaScript bindings (wasm32 only).

mod client;
mod config;
mod crypto_api;
mod errors;
mod events;
mod identity_verifier;
mod persistence;
mod reputation_store;
mod session_events;
mod timer;
mod transport_choice;

pub use client::MuSigClient;
pub use crypto_api::*;
