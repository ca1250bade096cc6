//! Relay redundancy: a wallet given few relays learns others from the DHT and keeps
//! reservations on at least `min_relays` of them, so that losing one relay does not make it
//! unreachable (issue 14 item 5).
//!
//! Relays are the DHT's servers, so the peers closest to our own ID that a Kademlia query
//! returns are relays (or claim to be: a learnt relay is only ever an extra, the configured
//! ones are kept and re-dialled for ever). On each reservation and each lost relay the node
//! asks for them, keeps at most [`MAX_CANDIDATES`] with an address this platform can dial,
//! and adds candidates until reservations held or being made reach `min_relays`. A learnt relay
//! that fails (dial error, lost connection) is dropped, not re-dialled, and another one is
//! tried; it is not tried again for [`RETRY_AFTER_MS`].

use std::collections::{BTreeMap, HashMap, HashSet};

use libp2p::multiaddr::Protocol;
use libp2p::{kad, Multiaddr, PeerId};

use super::Node;
use crate::clock::now_ms;

/// Most candidate relays remembered.
pub(super) const MAX_CANDIDATES: usize = 16;
/// How long a learnt relay that failed is left alone, in ms.
pub(super) const RETRY_AFTER_MS: u64 = 60_000;
/// Shortest time between two searches for relays, in ms.
const SEARCH_SPACING_MS: u64 = 2_000;

/// Relays learnt from the DHT, and the ones we use that we were not given.
#[derive(Debug, Default)]
pub(super) struct RelayPool {
    /// How many relays to hold reservations on (when that many are known).
    pub(super) min_relays: usize,
    /// Candidates: a dialable address of each relay the DHT named.
    candidates: BTreeMap<PeerId, Multiaddr>,
    /// Learnt relays in use (not configured), not yet holding a reservation.
    pending: HashSet<PeerId>,
    /// Every learnt relay in use.
    learnt: HashSet<PeerId>,
    /// Learnt relays that failed, and when.
    failed: HashMap<PeerId, u64>,
    /// The search in flight, and when the last one started.
    query: Option<kad::QueryId>,
    last_search: Option<u64>,
}

impl RelayPool {
    /// A pool keeping reservations on `min_relays` relays.
    pub(super) fn new(min_relays: usize) -> Self {
        Self {
            min_relays,
            ..Self::default()
        }
    }

    /// Whether `id` is our relay search.
    pub(super) fn is_query(&self, id: &kad::QueryId) -> bool {
        self.query.as_ref() == Some(id)
    }
}

/// Whether this platform's transports can dial `addr` directly (browsers: WebSocket, and
/// webrtc-direct where WebRTC exists; native: TCP or WebSocket over TCP).
fn dialable(addr: &Multiaddr) -> bool {
    let has = |want: fn(&Protocol<'_>) -> bool| addr.iter().any(|p| want(&p));
    if has(|p| matches!(p, Protocol::P2pCircuit)) {
        return false;
    }
    let ws = has(|p| matches!(p, Protocol::Ws(_) | Protocol::Wss(_)));
    let webrtc = has(|p| matches!(p, Protocol::WebRTCDirect));
    if cfg!(target_arch = "wasm32") {
        ws || (webrtc && crate::capabilities::webrtc_available())
    } else {
        has(|p| matches!(p, Protocol::Tcp(_))) && !webrtc
    }
}

impl Node {
    /// Asks the DHT for the relays closest to us, unless a search is in flight or ran in the
    /// last 2 s, or we hold enough reservations and know enough candidates.
    pub(super) fn search_relays(&mut self) {
        let now = now_ms();
        let pool = &self.relay_pool;
        let recent = pool
            .last_search
            .is_some_and(|t| now.saturating_sub(t) < SEARCH_SPACING_MS);
        if pool.min_relays == 0 || pool.query.is_some() || recent {
            return;
        }
        let me = *self.swarm.local_peer_id();
        let query = self.swarm.behaviour_mut().kad.get_closest_peers(me);
        self.relay_pool.query = Some(query);
        self.relay_pool.last_search = Some(now);
    }

    /// A step of the relay search: remember the dialable relays it names, then top up.
    pub(super) fn on_relay_search(&mut self, last: bool, peers: &[kad::PeerInfo]) {
        if last {
            self.relay_pool.query = None;
        }
        let me = *self.swarm.local_peer_id();
        for info in peers {
            let pool = &mut self.relay_pool;
            if info.peer_id == me || pool.candidates.len() >= MAX_CANDIDATES {
                continue;
            }
            if let Some(addr) = info.addrs.iter().find(|a| dialable(a)) {
                let addr = match addr.iter().last() {
                    Some(Protocol::P2p(_)) => addr.clone(),
                    _ => addr.clone().with(Protocol::P2p(info.peer_id)),
                };
                pool.candidates.insert(info.peer_id, addr);
            }
        }
        self.top_up_relays();
    }

    /// Adds learnt relays until reservations held or being made reach `min_relays`.
    pub(super) fn top_up_relays(&mut self) {
        let now = now_ms();
        let pool = &mut self.relay_pool;
        pool.failed
            .retain(|_, t| now.saturating_sub(*t) < RETRY_AFTER_MS);
        let healthy = self.circuits.len() + pool.pending.len();
        let wanted = pool.min_relays.saturating_sub(healthy);
        let fresh: Vec<(PeerId, Multiaddr)> = pool
            .candidates
            .iter()
            .filter(|(p, _)| !self.relays.contains_key(p) && !pool.failed.contains_key(p))
            .take(wanted)
            .map(|(p, a)| (*p, a.clone()))
            .collect();
        for (peer, addr) in fresh {
            tracing::debug!(%peer, %addr, "using a relay learnt from the DHT");
            self.relay_pool.pending.insert(peer);
            self.relay_pool.learnt.insert(peer);
            self.relays.insert(peer, addr.clone());
            self.swarm.behaviour_mut().kad.add_address(&peer, addr);
            if self.swarm.is_connected(&peer) {
                // The search itself connected to it.
                self.emit(super::NodeEvent::RelayConnected { relay: peer });
                self.reserve_on(peer);
            } else {
                self.dial_relay(peer);
            }
        }
    }

    /// A relay accepted our reservation.
    pub(super) fn relay_reserved(&mut self, relay: &PeerId) {
        self.relay_pool.pending.remove(relay);
        self.search_relays();
    }

    /// A relay's connection closed or could not be made: a learnt one is dropped (and left
    /// alone for a while), then the pool is topped up from the candidates and searched again.
    /// Returns whether the relay was a learnt one (and so is not re-dialled).
    pub(super) fn relay_failed(&mut self, relay: &PeerId) -> bool {
        let pool = &mut self.relay_pool;
        pool.pending.remove(relay);
        let learnt = pool.learnt.remove(relay);
        if learnt {
            pool.candidates.remove(relay);
            pool.failed.insert(*relay, now_ms());
            self.relays.remove(relay);
        }
        self.top_up_relays();
        self.search_relays();
        learnt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_this_platform_dials_are_candidates() {
        let ok: Multiaddr = "/ip4/10.0.0.1/tcp/4001".parse().unwrap();
        let ws: Multiaddr = "/ip4/10.0.0.1/tcp/4002/ws".parse().unwrap();
        let circuit: Multiaddr = "/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit"
            .parse()
            .unwrap();
        let rtc: Multiaddr = "/ip4/10.0.0.1/udp/4003/webrtc-direct".parse().unwrap();
        assert!(dialable(&ok));
        assert!(dialable(&ws));
        assert!(!dialable(&circuit));
        assert!(!dialable(&rtc), "native peers have no WebRTC transport");
    }
}
