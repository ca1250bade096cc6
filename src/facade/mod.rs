//! JavaScript bindings (wasm32 only).

mod client;
mod config;
mod errors;
mod events;
mod timer;

pub use client::MuSigClient;
