//! Connection budgets of a wallet peer: a bounded pool for strangers, so that however many
//! peers connect, the relays and the co-signers of the wallet's active sessions keep room.
//!
//! Two behaviours share the work:
//! - libp2p's `connection_limits` enforces the hard bounds (per peer, in total, pending
//!   incoming); the total is the strangers' pool plus the reserve;
//! - [`Gate`] keeps the strangers' pool: connections with peers that are neither one of our
//!   relays nor a co-signer of an active session of ours (the driver tells it who is, from
//!   the session machine). When a new stranger connection would overfill the pool, the
//!   oldest stranger connection is closed: a newcomer (an honest creator delivering an
//!   invitation) always gets in, and idle connections cannot hold the pool.
//!
//! Strangers thus never hold more than [`ConnectionBudget::max_strangers`] connections, and
//! the remaining [`ConnectionBudget::reserved`] slots of the total are only ever taken by
//! relays and co-signers. A co-signer cannot be impersonated: its peer ID derives from its
//! signing key, and the Noise handshake proves the remote holds that key.

use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::task::{Context, Poll};

use libp2p::core::{transport::PortUse, Endpoint, Multiaddr};
use libp2p::swarm::{
    dummy, CloseConnection, ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm,
    NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{connection_limits, PeerId};

/// Connection bounds of a wallet peer (docs/protocol.md §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionBudget {
    /// Most connections to one peer at once (a co-signer may reach us through each shared
    /// relay and directly). Default 4.
    pub max_per_peer: u32,
    /// Most connections held with strangers (neither our relays nor co-signers of our active
    /// sessions); beyond it the oldest stranger connection is closed. Default 16.
    pub max_strangers: usize,
    /// Connections only relays and co-signers may use, on top of the strangers' pool: the
    /// total bound is `max_strangers + reserved`. Default 48.
    pub reserved: usize,
    /// Most incoming connections still in their handshake. Default 16.
    pub max_pending_incoming: u32,
}

impl Default for ConnectionBudget {
    fn default() -> Self {
        Self {
            max_per_peer: 4,
            max_strangers: 16,
            reserved: 48,
            max_pending_incoming: 16,
        }
    }
}

impl ConnectionBudget {
    /// The hard limits libp2p's `connection_limits` enforces for this budget.
    pub fn limits(&self) -> connection_limits::ConnectionLimits {
        let total = self.max_strangers.saturating_add(self.reserved);
        connection_limits::ConnectionLimits::default()
            .with_max_established_per_peer(Some(self.max_per_peer))
            .with_max_established(Some(u32::try_from(total).unwrap_or(u32::MAX)))
            .with_max_pending_incoming(Some(self.max_pending_incoming))
    }
}

/// Connection counts of a wallet peer, for its owner and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Open connections with strangers.
    pub strangers: usize,
    /// Open connections with relays and co-signers.
    pub priority: usize,
    /// Stranger connections closed to make room for newer ones, since start.
    pub strangers_evicted: u64,
}

/// The strangers' pool (see the module docs).
#[derive(Debug, Default)]
pub struct Gate {
    max_strangers: usize,
    /// Relays and co-signers of active sessions.
    priority: HashSet<PeerId>,
    /// Every open connection and its peer.
    open: HashMap<ConnectionId, PeerId>,
    /// Connections asked to close that have not closed yet.
    doomed: HashSet<ConnectionId>,
    /// Open stranger connections, oldest first.
    strangers: VecDeque<ConnectionId>,
    /// Connections to close.
    closing: VecDeque<(PeerId, ConnectionId)>,
    evicted: u64,
}

impl Gate {
    /// A gate holding at most `max_strangers` stranger connections.
    pub fn new(max_strangers: usize) -> Self {
        Self {
            max_strangers,
            ..Self::default()
        }
    }

    /// Changes the bound of the strangers' pool (takes effect at the next connection).
    pub fn set_max_strangers(&mut self, max_strangers: usize) {
        self.max_strangers = max_strangers;
    }

    /// Replaces the set of priority peers (relays and co-signers). Open connections are
    /// re-sorted: a stranger that became a co-signer leaves the pool, a co-signer whose
    /// sessions ended joins it as its newest member.
    pub fn set_priority(&mut self, priority: HashSet<PeerId>) {
        self.priority = priority;
        let open = &self.open;
        let prio = &self.priority;
        self.strangers
            .retain(|c| open.get(c).is_some_and(|p| !prio.contains(p)));
        let mut demoted: Vec<ConnectionId> = self
            .open
            .iter()
            .filter(|(c, p)| {
                !self.priority.contains(p)
                    && !self.strangers.contains(c)
                    && !self.doomed.contains(c)
            })
            .map(|(c, _)| *c)
            .collect();
        demoted.sort_unstable();
        for c in demoted {
            self.admit_stranger(c);
        }
    }

    /// Current counts.
    pub fn stats(&self) -> ConnectionStats {
        ConnectionStats {
            strangers: self.strangers.len(),
            priority: self
                .open
                .len()
                .saturating_sub(self.strangers.len() + self.doomed.len()),
            strangers_evicted: self.evicted,
        }
    }

    fn admit_stranger(&mut self, connection: ConnectionId) {
        self.strangers.push_back(connection);
        while self.strangers.len() > self.max_strangers {
            let Some(oldest) = self.strangers.pop_front() else {
                break;
            };
            if let Some(peer) = self.open.get(&oldest) {
                self.closing.push_back((*peer, oldest));
                self.doomed.insert(oldest);
                self.evicted = self.evicted.saturating_add(1);
            }
        }
    }
}

impl NetworkBehaviour for Gate {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(e) => {
                self.open.insert(e.connection_id, e.peer_id);
                if !self.priority.contains(&e.peer_id) {
                    self.admit_stranger(e.connection_id);
                }
            }
            FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) => {
                self.open.remove(&connection_id);
                self.doomed.remove(&connection_id);
                self.strangers.retain(|c| *c != connection_id);
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _: PeerId,
        _: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        while let Some((peer_id, connection)) = self.closing.pop_front() {
            if self.open.contains_key(&connection) {
                return Poll::Ready(ToSwarm::CloseConnection {
                    peer_id,
                    connection: CloseConnection::One(connection),
                });
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(gate: &mut Gate, id: usize, peer: PeerId) -> ConnectionId {
        let c = ConnectionId::new_unchecked(id);
        gate.open.insert(c, peer);
        if !gate.priority.contains(&peer) {
            gate.admit_stranger(c);
        }
        c
    }

    #[test]
    fn strangers_beyond_the_pool_evict_the_oldest_and_priority_peers_are_never_counted() {
        let mut gate = Gate::new(3);
        let cosigner = PeerId::random();
        gate.set_priority([cosigner].into_iter().collect());
        let strangers: Vec<PeerId> = (0..10).map(|_| PeerId::random()).collect();
        for (i, p) in strangers.iter().enumerate() {
            connect(&mut gate, i, *p);
        }
        connect(&mut gate, 100, cosigner);
        assert_eq!(gate.stats().strangers, 3);
        assert_eq!(gate.stats().strangers_evicted, 7);
        // The seven oldest are closed, the newest three stay.
        let closed: Vec<PeerId> = gate.closing.iter().map(|(p, _)| *p).collect();
        assert_eq!(closed, strangers[..7].to_vec());
        assert!(gate.closing.iter().all(|(p, _)| *p != cosigner));
        // A stranger that becomes a co-signer leaves the pool; the co-signer whose session
        // ended joins it as the newest (evicting the oldest stranger).
        let promoted = strangers[9];
        gate.set_priority([promoted].into_iter().collect());
        assert_eq!(
            gate.stats().strangers,
            3,
            "the closing ones are not re-admitted"
        );
        assert_eq!(gate.stats().strangers_evicted, 7);
        assert_eq!(gate.stats().priority, 1);
        assert!(gate.strangers.contains(&ConnectionId::new_unchecked(100)));
        assert!(!gate.strangers.contains(&ConnectionId::new_unchecked(9)));
    }

    #[test]
    fn the_default_budget_keeps_a_reserve_beyond_the_strangers_pool() {
        let b = ConnectionBudget::default();
        assert!(b.reserved >= 3 * b.max_strangers);
        assert!(b.max_per_peer >= 2);
    }
}
