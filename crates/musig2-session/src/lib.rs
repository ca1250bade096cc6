//! Sans-IO MuSig2 signing-session protocol. Time and randomness are parameters; this crate
//! never touches a socket, a clock or an OS random source.
//!
//! The wire format is specified in `docs/protocol.md`; the threat model in `docs/security.md`.
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod config;
pub mod crypto;
pub mod election;
pub mod error;
pub mod identity;
pub mod machine;
pub mod peer;
pub mod rate_limit;
pub mod replay;
pub mod reputation;
pub mod wire;

pub use config::Config;
pub use election::{failover_order, ElectionMethod};
pub use error::{DecodeError, Error, Offence};
pub use machine::{Destination, Event, Machine, Phase, SessionInfo, SessionParams, Transmit};
pub use peer::PeerId;
