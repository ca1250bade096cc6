//! Reaching signers on relays we do not use: publishing our route record (our circuit
//! addresses, signed by the session machine) and looking up a signer's when a message to
//! it could not be delivered through our own relays (protocol.md §4.3).

use std::collections::HashMap;

use libp2p::multiaddr::Protocol;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{kad, Multiaddr, PeerId};
use musig2_session::route::{route_key, validate_route};

use super::Node;
use crate::clock::now_ms;

/// Most route look-ups in flight, and most signers whose routes are remembered.
const MAX_ROUTES: usize = 1024;
/// Shortest time between two look-ups of one signer's route, in ms.
const LOOKUP_SPACING_MS: u64 = 2_000;

/// Routes learnt from the DHT and look-ups in flight.
#[derive(Default)]
pub(super) struct Routes {
    /// Addresses of signers, from their route records, with the record's expiry.
    known: HashMap<PeerId, (Vec<Multiaddr>, u64)>,
    /// Look-ups in flight.
    lookups: HashMap<kad::QueryId, PeerId>,
    /// When each signer was last looked up.
    asked: HashMap<PeerId, u64>,
}

/// The 33-byte key inside a secp256k1 peer ID (wallets' peer IDs are their signing keys).
pub(super) fn key_of(peer: &PeerId) -> Option<[u8; 33]> {
    let hash = peer.as_ref();
    if hash.code() != 0 {
        return None;
    }
    let pk = libp2p::identity::PublicKey::try_decode_protobuf(hash.digest()).ok()?;
    Some(pk.try_into_secp256k1().ok()?.to_bytes())
}

impl Routes {
    /// Known addresses of `peer` that are still valid at `now`.
    pub(super) fn of(&self, peer: &PeerId, now: u64) -> Vec<Multiaddr> {
        self.known
            .get(peer)
            .filter(|(_, expires)| *expires > now)
            .map(|(a, _)| a.clone())
            .unwrap_or_default()
    }

    /// Whether `id` is one of our route look-ups.
    pub(super) fn is_lookup(&self, id: &kad::QueryId) -> bool {
        self.lookups.contains_key(id)
    }
}

impl Node {
    /// Publishes our route record with the circuit addresses of every relay holding our
    /// reservation (called on each reservation and renewal, so it never lapses while a
    /// reservation lives).
    pub(super) fn publish_route(&mut self) {
        let addrs: Vec<Vec<u8>> = self.circuits.values().map(|a| a.to_vec()).collect();
        if let Some(machine) = self.machine.as_mut() {
            if let Err(e) = machine.publish_route(now_ms(), &addrs) {
                tracing::warn!("route record not published: {e}");
            }
        }
    }

    /// A message to `peer` was not delivered: look its route record up (at most every 2 s).
    pub(super) fn look_up_route(&mut self, peer: PeerId) {
        let now = now_ms();
        if self
            .routes
            .asked
            .get(&peer)
            .is_some_and(|t| now.saturating_sub(*t) < LOOKUP_SPACING_MS)
            || self.routes.lookups.len() >= MAX_ROUTES
        {
            return;
        }
        let Some(key) = key_of(&peer) else {
            return;
        };
        if self.routes.asked.len() >= MAX_ROUTES {
            self.routes
                .asked
                .retain(|_, t| now.saturating_sub(*t) < LOOKUP_SPACING_MS);
        }
        self.routes.asked.insert(peer, now);
        let query = self
            .swarm
            .behaviour_mut()
            .kad
            .get_record(kad::RecordKey::new(&route_key(&key)));
        self.routes.lookups.insert(query, peer);
    }

    /// A result of a route look-up: a valid record of that very signer gives the addresses
    /// (only circuit addresses ending in its own peer ID are kept), which are dialled at once
    /// and used for its later messages.
    pub(super) fn on_route_result(&mut self, id: kad::QueryId, last: bool, value: Option<&[u8]>) {
        let Some(peer) = self.routes.lookups.get(&id).copied() else {
            return;
        };
        if last {
            self.routes.lookups.remove(&id);
        }
        let (Some(value), Some(key)) = (value, key_of(&peer)) else {
            return;
        };
        let now = now_ms();
        let route = match validate_route(&route_key(&key), value, now) {
            Ok(r) if r.key == key => r,
            Ok(_) => return,
            Err(e) => {
                tracing::debug!(%peer, "route record refused: {e}");
                return;
            }
        };
        let addrs: Vec<Multiaddr> = route
            .addresses
            .iter()
            .filter_map(|b| Multiaddr::try_from(b.clone()).ok())
            .filter(|a| {
                a.iter().any(|p| p == Protocol::P2pCircuit)
                    && a.iter().last() == Some(Protocol::P2p(peer))
            })
            .collect();
        if addrs.is_empty() {
            return;
        }
        if self.routes.known.len() >= MAX_ROUTES && !self.routes.known.contains_key(&peer) {
            self.routes.known.retain(|_, (_, expires)| *expires > now);
            if self.routes.known.len() >= MAX_ROUTES {
                return;
            }
        }
        let newer = self
            .routes
            .known
            .get(&peer)
            .is_none_or(|(_, e)| *e < route.expires_at);
        if newer {
            self.routes
                .known
                .insert(peer, (addrs.clone(), route.expires_at));
        }
        let opts = DialOpts::peer_id(peer)
            .addresses(addrs)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!(%peer, "no dial on its route: {e}");
        }
    }
}
