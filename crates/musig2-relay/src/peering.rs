//! Relays peer with each other into one Kademlia DHT and one GossipSub mesh.
//!
//! A relay dials every relay given with `--peer` at start, and again with exponential
//! backoff whenever its connection closes or a dial fails, so operators' relays stay
//! connected across restarts. Further relays are learnt through Kademlia: a peer that
//! identifies itself as a Kademlia *server* (a relay; wallets run Kademlia in client mode and
//! do not list the protocol) has its listen addresses added to the routing table, and each
//! new relay connection starts a bootstrap (a look-up of our own ID), which walks the DHT to
//! the relays our neighbours know. A relay told only about its neighbour in a chain so finds
//! the others.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::multiaddr::Protocol;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{identify, Multiaddr, PeerId, Swarm};
use musig2_net::protocol::KAD_PROTOCOL;

use crate::behaviour::RelayBehaviour;

/// First re-dial delay of a peer relay; doubled after each failure.
const BACKOFF_MIN: Duration = Duration::from_millis(500);
/// Longest delay between re-dials of a peer relay.
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Shortest time between two bootstraps started by new connections.
const BOOTSTRAP_SPACING: Duration = Duration::from_secs(5);
/// Listen addresses taken from one peer's identify report.
const MAX_ADDRS_PER_PEER: usize = 8;

/// The configured peer relays and their re-dial schedule.
#[derive(Debug, Default)]
pub struct Peering {
    peers: HashMap<PeerId, Multiaddr>,
    due: HashMap<PeerId, Instant>,
    failures: HashMap<PeerId, u32>,
    last_bootstrap: Option<Instant>,
}

/// Why a `--peer` address is unusable.
#[derive(Debug, thiserror::Error)]
#[error("--peer {0} does not end in /p2p/<peer id>")]
pub struct PeerAddressError(pub Multiaddr);

impl Peering {
    /// The relays to keep connected (each address must end in `/p2p/<peer id>`).
    ///
    /// # Errors
    /// [`PeerAddressError`] for an address without a peer ID.
    pub fn new(addresses: &[Multiaddr]) -> Result<Self, PeerAddressError> {
        let mut peers = HashMap::new();
        for addr in addresses {
            match addr.iter().last() {
                Some(Protocol::P2p(peer)) => {
                    peers.insert(peer, addr.clone());
                }
                _ => return Err(PeerAddressError(addr.clone())),
            }
        }
        Ok(Self {
            peers,
            ..Self::default()
        })
    }

    /// Adds every peer relay to Kademlia and dials it.
    pub fn start(&mut self, swarm: &mut Swarm<RelayBehaviour>) {
        let peers: Vec<(PeerId, Multiaddr)> =
            self.peers.iter().map(|(p, a)| (*p, a.clone())).collect();
        for (peer, addr) in peers {
            swarm.behaviour_mut().kad.add_address(&peer, addr);
            self.dial(swarm, peer);
        }
    }

    fn dial(&mut self, swarm: &mut Swarm<RelayBehaviour>, peer: PeerId) {
        let Some(addr) = self.peers.get(&peer).cloned() else {
            return;
        };
        let opts = DialOpts::peer_id(peer)
            .addresses(vec![addr])
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        if let Err(e) = swarm.dial(opts) {
            tracing::debug!(%peer, "peer relay not dialled: {e}");
        }
    }

    /// A connection to `peer` is up: a configured peer's backoff restarts, and the DHT is
    /// walked again (at most every few seconds) to learn the relays it knows.
    pub fn connected(&mut self, swarm: &mut Swarm<RelayBehaviour>, peer: PeerId) {
        if self.peers.contains_key(&peer) {
            tracing::info!(%peer, "peer relay connected");
            self.due.remove(&peer);
            self.failures.remove(&peer);
            self.bootstrap(swarm);
        }
    }

    fn bootstrap(&mut self, swarm: &mut Swarm<RelayBehaviour>) {
        let now = Instant::now();
        if self
            .last_bootstrap
            .is_some_and(|t| now.duration_since(t) < BOOTSTRAP_SPACING)
        {
            return;
        }
        self.last_bootstrap = Some(now);
        if let Err(e) = swarm.behaviour_mut().kad.bootstrap() {
            tracing::debug!("no bootstrap: {e}");
        }
    }

    /// The last connection to `peer` closed, or dialling it failed: a configured peer is
    /// dialled again after its backoff.
    pub fn lost(&mut self, peer: PeerId) {
        if !self.peers.contains_key(&peer) {
            return;
        }
        let failures = self.failures.entry(peer).or_insert(0);
        let delay = BACKOFF_MIN
            .saturating_mul(1u32 << (*failures).min(16))
            .min(BACKOFF_MAX);
        *failures = failures.saturating_add(1);
        tracing::info!(%peer, ?delay, "peer relay unreachable, re-dialling");
        let at = Instant::now() + delay;
        let due = self.due.entry(peer).or_insert(at);
        *due = (*due).min(at);
    }

    /// Dials the peers whose re-dial is due.
    pub fn redial_due(&mut self, swarm: &mut Swarm<RelayBehaviour>) {
        let now = Instant::now();
        let due: Vec<PeerId> = self
            .due
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(p, _)| *p)
            .collect();
        for peer in due {
            self.due.remove(&peer);
            self.dial(swarm, peer);
        }
    }

    /// A peer identified itself: if it is a Kademlia server (a relay), its listen addresses
    /// (at most a few) go into the routing table.
    pub fn identified(
        &mut self,
        swarm: &mut Swarm<RelayBehaviour>,
        peer: PeerId,
        info: &identify::Info,
    ) {
        if !info.protocols.contains(&KAD_PROTOCOL) {
            return;
        }
        for addr in info.listen_addrs.iter().take(MAX_ADDRS_PER_PEER) {
            let routable = !addr.iter().any(|p| p == Protocol::P2pCircuit);
            if routable {
                swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
            }
        }
    }
}
