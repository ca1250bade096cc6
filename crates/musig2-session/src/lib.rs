//! Sans-IO MuSig2 signing-session protocol. Time and randomness are parameters; this crate
//! never touches a socket, a clock or an OS random source.
//!
//! The wire format is specified in `docs/protocol.md`; the threat model in `docs/security.md`.
//!
//! A [`Machine`] is one node. Its driver delivers received bytes and timer expiries, carries
//! out [`Transmit`]s and reacts to [`Event`]s. Two nodes with a perfect "network":
//!
//! ```
//! use musig2_session::crypto::{Scheme, SecretKey};
//! use musig2_session::wire::TweakSpec;
//! use musig2_session::{Config, Destination, ElectionMethod, Event, Machine, PeerId, Phase, SessionParams};
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//!
//! let mut rng = ChaCha20Rng::seed_from_u64(1); // use a CSPRNG seeded from the OS in production
//! let now = 1_700_000_000_000; // ms since the epoch, from the driver's clock
//! let key = |b: u8| SecretKey::from_bytes(&[b; 32]).unwrap();
//! let mut nodes = [
//!     Machine::new(Config::default(), Scheme::Bip327, key(1), now, [1; 32]),
//!     Machine::new(Config::default(), Scheme::Bip327, key(2), now, [2; 32]),
//! ];
//! let keys = [nodes[0].public_key(), nodes[1].public_key()];
//! let params = SessionParams {
//!     signers: keys.to_vec(),
//!     message: b"spend 1 coin".to_vec(),
//!     tweak: TweakSpec::None,
//!     election: ElectionMethod::Lexicographic,
//!     tx_type: "spend".into(),
//! };
//! let id = nodes[0].create_session(now, params, &mut rng)?;
//! for _round in 0..10 {
//!     for from in 0..2 {
//!         while let Some(t) = nodes[from].poll_transmit() {
//!             if let Destination::Signer(k) = t.to {
//!                 let to = keys.iter().position(|x| *x == k).unwrap();
//!                 let peer = PeerId::new(vec![from as u8]);
//!                 let _ = nodes[to].handle_message(now, &peer, &t.bytes, &mut rng);
//!             }
//!         }
//!     }
//!     for n in 0..2 {
//!         while let Some(e) = nodes[n].poll_event() {
//!             if let Event::SessionDiscovered { session_id, .. } = e {
//!                 nodes[n].join(now, &session_id, &mut rng)?; // the application decides
//!             }
//!         }
//!     }
//! }
//! assert!(nodes.iter().all(|n| n.session(&id).unwrap().phase == Phase::Completed));
//! let sig = nodes[1].session(&id).unwrap().signature.unwrap();
//! # let _ = sig;
//! # Ok::<(), musig2_session::Error>(())
//! ```
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
pub mod inbox;
pub mod machine;
pub mod peer;
pub mod rate_limit;
pub mod record;
pub mod replay;
pub mod reputation;
pub mod route;
pub mod wire;

pub use config::Config;
pub use election::{failover_order, ElectionMethod};
pub use error::{DecodeError, Error, Offence};
pub use machine::{Destination, Event, Machine, Phase, SessionInfo, SessionParams, Transmit};
pub use peer::PeerId;
