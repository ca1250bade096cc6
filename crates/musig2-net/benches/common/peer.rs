//! A bench wallet: a native node with a key derived from its index, and an event reader that
//! joins every session it is invited to and records what the coordinator asks about
//! (sessions finished, relays held, advertisements seen).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use musig2_crypto::scheme::{Scheme, SecretKey};
use musig2_net::identity::keypair_from_signing_key;
use musig2_net::libp2p::{Multiaddr, PeerId};
use musig2_net::{Node, NodeConfig, NodeEvent, NodeHandle};
use musig2_session::{Config, Event, Machine};
use sha2::{Digest, Sha256};

use super::wall_us;

/// What a worker knows about one session.
#[derive(Default)]
pub struct Track {
    /// When `create_session` was called.
    pub created: Option<Instant>,
    /// `SignatureReady` events seen.
    pub signatures: u8,
    /// When the third arrived.
    pub finished: Option<Instant>,
    /// Whether some signer reported it failed.
    pub failed: bool,
}

/// One wallet's relays: how many it should hold, and each change of how many it holds.
#[derive(Default)]
pub struct RelayLog {
    /// Reservations the wallet keeps.
    pub target: usize,
    /// Relays it holds a reservation on now.
    pub held: HashSet<PeerId>,
    /// (wall µs, reservations held) at each change.
    pub changes: Vec<(u64, usize)>,
}

/// Everything a worker's wallets record.
#[derive(Default)]
pub struct Records {
    /// Sessions by ID.
    pub sessions: HashMap<[u8; 32], Track>,
    /// Relays of each wallet, by its slot.
    pub relays: Vec<RelayLog>,
    /// For each advertised key, when each watcher validated it (wall µs).
    pub adverts: HashMap<[u8; 33], Vec<u64>>,
}

/// The records, shared by the wallets of one process.
pub type Shared = Arc<Mutex<Records>>;

/// The secret key of bench wallet `index`.
pub fn secret_of(index: u32) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"musig2-capacity-bench")
        .chain_update(index.to_le_bytes())
        .finalize()
        .into()
}

/// The public key of bench wallet `index`.
pub fn key_of(index: u32) -> [u8; 33] {
    SecretKey::from_bytes(&secret_of(index))
        .expect("a valid key")
        .public_key()
        .to_bytes()
}

/// Session limits high enough that the bench measures the network, not the caps.
pub fn session_config() -> Config {
    Config {
        max_sessions: 1 << 14,
        max_invitations: 1 << 14,
        max_invitations_per_peer: 1 << 14,
        max_pending_transmits: 1 << 18,
        max_pending_events: 1 << 18,
        ..Config::default()
    }
}

/// A running wallet.
pub struct Wallet {
    /// Its node.
    pub handle: NodeHandle,
    /// Its public key.
    pub key: [u8; 33],
}

/// Starts wallet `index` on `relays`, keeping reservations on `min_relays` (0: only the
/// relays given), spawns its driver and its event reader, and waits until it holds a
/// reservation on `max(1, min_relays)` relays.
pub async fn start_wallet(
    index: u32,
    relays: Vec<Multiaddr>,
    min_relays: usize,
    shared: &Shared,
) -> Wallet {
    let secret = secret_of(index);
    let sk = SecretKey::from_bytes(&secret).expect("a valid key");
    let key = sk.public_key().to_bytes();
    let machine = Machine::new(
        session_config(),
        Scheme::Bip327,
        sk,
        musig2_net::clock::now_ms(),
        secret,
    );
    let config = NodeConfig {
        relays,
        listen: Vec::new(),
        min_relays,
        ..Default::default()
    };
    let keypair = keypair_from_signing_key(&secret).expect("a valid key");
    let (node, handle, events) = Node::new(keypair, config, Some(machine))
        .await
        .expect("node");
    tokio::spawn(node.run());
    let target = min_relays.max(1);
    let slot = {
        let mut r = shared.lock().unwrap();
        r.relays.push(RelayLog {
            target,
            ..RelayLog::default()
        });
        r.relays.len() - 1
    };
    tokio::spawn(read_events(events, handle.clone(), shared.clone(), slot));
    let deadline = Instant::now() + Duration::from_secs(120);
    while shared.lock().unwrap().relays[slot].held.len() < target {
        assert!(
            Instant::now() < deadline,
            "wallet {index}: no {target} reservations in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Wallet { handle, key }
}

/// Records a wallet's events; joins every session it is invited to.
async fn read_events(
    mut events: futures::channel::mpsc::Receiver<NodeEvent>,
    handle: NodeHandle,
    shared: Shared,
    slot: usize,
) {
    while let Some(event) = events.next().await {
        match event {
            NodeEvent::Session(Event::SessionDiscovered { session_id, .. }) => {
                let h = handle.clone();
                // Join without blocking the reader, so events keep being consumed.
                tokio::spawn(async move {
                    let _ = h
                        .with_machine(move |m, now, rng| m.join(now, &session_id, rng))
                        .await;
                });
            }
            NodeEvent::Session(Event::SignatureReady { session_id, .. }) => {
                let mut r = shared.lock().unwrap();
                let track = r.sessions.entry(session_id).or_default();
                track.signatures += 1;
                if track.signatures == 3 {
                    track.finished = Some(Instant::now());
                }
            }
            NodeEvent::Session(Event::Failed { session_id, .. }) => {
                shared
                    .lock()
                    .unwrap()
                    .sessions
                    .entry(session_id)
                    .or_default()
                    .failed = true;
            }
            NodeEvent::Session(Event::SignerDiscovered { key, .. }) => {
                let at = wall_us();
                shared
                    .lock()
                    .unwrap()
                    .adverts
                    .entry(key)
                    .or_default()
                    .push(at);
            }
            NodeEvent::RelayReserved { relay, .. } => {
                let log = &mut shared.lock().unwrap().relays[slot];
                if log.held.insert(relay) {
                    log.changes.push((wall_us(), log.held.len()));
                }
            }
            NodeEvent::RelayLost { relay } => {
                let log = &mut shared.lock().unwrap().relays[slot];
                if log.held.remove(&relay) {
                    log.changes.push((wall_us(), log.held.len()));
                }
            }
            _ => {}
        }
    }
}
