//! Keeps the node connected to its relays: dials each at start and again, with exponential
//! backoff, whenever its connection closes or a dial fails. A new connection triggers a new
//! reservation (see `on_swarm_event`), so a restarted relay is used again without help.

use std::collections::HashMap;

use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::PeerId;

use super::{Node, NodeEvent};
use crate::clock::now_ms;

/// Delay before the first re-dial of a relay, in ms; doubled after each failure.
const BACKOFF_MIN_MS: u64 = 250;
/// Longest delay between re-dials of a relay, in ms.
const BACKOFF_MAX_MS: u64 = 10_000;

/// Re-dial schedule of the relays.
#[derive(Debug, Default)]
pub(super) struct Redial {
    /// When each disconnected relay is dialed next (ms since the epoch).
    due: HashMap<PeerId, u64>,
    /// Consecutive failures per relay since its last reservation.
    failures: HashMap<PeerId, u32>,
}

impl Redial {
    /// The relay is connected: nothing to re-dial.
    pub(super) fn connected(&mut self, relay: &PeerId) {
        self.due.remove(relay);
    }

    /// The relay accepted a reservation: start the backoff afresh next time.
    pub(super) fn reserved(&mut self, relay: &PeerId) {
        self.failures.remove(relay);
    }

    /// Schedules a re-dial of `relay` after its backoff delay (keeps an earlier schedule).
    fn schedule(&mut self, relay: PeerId, now: u64) {
        let failures = self.failures.entry(relay).or_insert(0);
        let delay = BACKOFF_MIN_MS
            .saturating_mul(1u64 << (*failures).min(16))
            .min(BACKOFF_MAX_MS);
        *failures = failures.saturating_add(1);
        let at = now.saturating_add(delay);
        let due = self.due.entry(relay).or_insert(at);
        *due = (*due).min(at);
    }

    /// Removes and returns the relays due at `now`.
    fn take_due(&mut self, now: u64) -> Vec<PeerId> {
        let due: Vec<PeerId> = self
            .due
            .iter()
            .filter(|(_, &t)| t <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in &due {
            self.due.remove(p);
        }
        due
    }

    /// The earliest scheduled re-dial.
    pub(super) fn next(&self) -> Option<u64> {
        self.due.values().min().copied()
    }
}

impl Node {
    /// Dials `relay` unless already connected or dialing; a dial that cannot even start is
    /// reported and scheduled again.
    pub(super) fn dial_relay(&mut self, relay: PeerId) {
        let Some(addr) = self.relays.get(&relay).cloned() else {
            return;
        };
        let opts = DialOpts::peer_id(relay)
            .addresses(vec![addr.clone()])
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        if let Err(e) = self.swarm.dial(opts) {
            if !matches!(e, libp2p::swarm::DialError::DialPeerConditionFalse(_)) {
                self.emit(NodeEvent::RelayUnreachable {
                    address: addr,
                    reason: e.to_string(),
                });
                self.schedule_redial(relay);
            }
        }
    }

    /// Schedules a re-dial of a relay that is not connected.
    pub(super) fn schedule_redial(&mut self, relay: PeerId) {
        if !self.swarm.is_connected(&relay) {
            self.redial.schedule(relay, now_ms());
        }
    }

    /// Dials every relay whose backoff has elapsed.
    pub(super) fn redial_due_relays(&mut self) {
        for relay in self.redial.take_due(now_ms()) {
            tracing::debug!(%relay, "re-dialing relay");
            self.dial_relay(relay);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets_on_reservation() {
        let relay = PeerId::random();
        let mut r = Redial::default();
        let mut delays = Vec::new();
        for _ in 0..8 {
            r.schedule(relay, 1_000);
            delays.push(r.next().unwrap() - 1_000);
            assert_eq!(r.take_due(1_000 + delays.last().unwrap()), vec![relay]);
        }
        assert_eq!(&delays[..4], &[250, 500, 1_000, 2_000]);
        assert_eq!(*delays.last().unwrap(), BACKOFF_MAX_MS);
        assert!(r.next().is_none());
        r.reserved(&relay);
        r.schedule(relay, 0);
        assert_eq!(r.next(), Some(BACKOFF_MIN_MS));
        r.connected(&relay);
        assert!(r.next().is_none());
    }
}
