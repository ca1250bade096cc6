//! libp2p driver for MuSig2 signing sessions, shared by browser (wasm) and native peers.
//!
//! The driver moves bytes and timers and reports what the network did; every protocol
//! decision lives in the session layer.
#![forbid(unsafe_code)]

pub mod behaviour;
pub mod capabilities;
pub mod clock;
pub mod codec;
pub mod connection_gate;
pub mod error;
pub mod identity;
pub mod node;
pub mod protocol;
pub mod session_stream;
pub mod transport;

pub use error::NetError;
pub use libp2p;
pub use node::{Node, NodeConfig, NodeEvent, NodeHandle, DEFAULT_MIN_RELAYS};
