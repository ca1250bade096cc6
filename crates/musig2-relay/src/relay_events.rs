//! The circuit relay server's events: what the operator's log shows, and the count of active
//! reservations behind the `musig2_relay_reservations_active` gauge and `/health`.
//!
//! Logged at info: every reservation accepted (new or renewed: a wallet renews about once per
//! reservation period, 1 h) or refused, and every circuit refused. Circuits opened and closed
//! are debug only: a busy relay opens many.

use std::collections::HashMap;

use libp2p::{relay, PeerId};

/// Logs one relay server event at the level described in the module docs.
pub fn log(event: &relay::Event) {
    match event {
        relay::Event::ReservationReqAccepted {
            src_peer_id,
            renewed,
        } => tracing::info!(peer = %src_peer_id, renewed, "reservation accepted"),
        relay::Event::ReservationReqDenied {
            src_peer_id,
            status,
        } => tracing::info!(peer = %src_peer_id, ?status, "reservation refused"),
        relay::Event::CircuitReqDenied {
            src_peer_id,
            dst_peer_id,
            status,
        } => tracing::info!(src = %src_peer_id, dst = %dst_peer_id, ?status, "circuit refused"),
        other => tracing::debug!(event = ?other, "relay event"),
    }
}

/// Reservations held at once, per peer.
///
/// libp2p's relay reports a new reservation (`renewed: false`) and its expiry, but emits
/// `ReservationClosed` for every closed connection of a peer, whether it held a reservation
/// or not, and names no connection. A reservation lives on one connection and a connection
/// holds at most one, so when a peer's connection closes its count is capped at the
/// connections it still has: exact for a wallet with one connection to the relay (the usual
/// case), otherwise at most one too high per extra connection until the peer disconnects.
#[derive(Debug, Default)]
pub struct ActiveReservations {
    by_peer: HashMap<PeerId, usize>,
}

impl ActiveReservations {
    /// Updates the counts from a relay event.
    pub fn on_relay_event(&mut self, event: &relay::Event) {
        match event {
            relay::Event::ReservationReqAccepted {
                src_peer_id,
                renewed: false,
            } => *self.by_peer.entry(*src_peer_id).or_default() += 1,
            relay::Event::ReservationTimedOut { src_peer_id } => self.release(*src_peer_id, 1),
            _ => {}
        }
    }

    /// A connection of `peer` closed; it still has `remaining` connections.
    pub fn on_connection_closed(&mut self, peer: PeerId, remaining: usize) {
        if let Some(count) = self.by_peer.get(&peer) {
            let excess = count.saturating_sub(remaining);
            self.release(peer, excess);
        }
    }

    fn release(&mut self, peer: PeerId, n: usize) {
        if let Some(count) = self.by_peer.get_mut(&peer) {
            *count = count.saturating_sub(n);
            if *count == 0 {
                self.by_peer.remove(&peer);
            }
        }
    }

    /// Reservations held now.
    pub fn total(&self) -> usize {
        self.by_peer.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(peer: PeerId, renewed: bool) -> relay::Event {
        relay::Event::ReservationReqAccepted {
            src_peer_id: peer,
            renewed,
        }
    }

    #[test]
    fn reservations_are_counted_until_they_expire_or_their_connection_closes() {
        let (a, b) = (PeerId::random(), PeerId::random());
        let mut active = ActiveReservations::default();
        active.on_relay_event(&accepted(a, false));
        active.on_relay_event(&accepted(a, true));
        active.on_relay_event(&accepted(b, false));
        assert_eq!(active.total(), 2, "a renewal is not a new reservation");
        active.on_connection_closed(b, 0);
        assert_eq!(active.total(), 1);
        active.on_relay_event(&relay::Event::ReservationTimedOut { src_peer_id: a });
        assert_eq!(active.total(), 0);
        // Two connections of one peer, each with a reservation; one closes.
        active.on_relay_event(&accepted(a, false));
        active.on_relay_event(&accepted(a, false));
        active.on_connection_closed(a, 1);
        assert_eq!(active.total(), 1);
        active.on_connection_closed(a, 0);
        active.on_connection_closed(b, 0);
        assert_eq!(active.total(), 0);
    }
}
