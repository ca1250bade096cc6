//! Time-driven behaviour: retransmission, heartbeats, coordinator failover, expiry.

use super::io::Event;
use super::session::Session;
use super::{Machine, Phase};
use crate::wire::Message;

/// Most doublings of the retransmit interval (1 s, 2 s, 4 s, then every 8 s by default).
pub(crate) const MAX_RETRANSMIT_BACKOFF: u32 = 3;

impl Session {
    /// The earliest instant at which [`Session::on_timeout`] has something to do.
    fn deadline(&self, liveness: u64, coordinator_deadline: u64) -> u64 {
        let mut t = self.ann.expires_at;
        if self.phase.is_terminal() {
            return t;
        }
        if self.phase != Phase::Announced {
            t = t.min(self.next_retransmit).min(self.next_heartbeat);
        }
        if self.phase == Phase::Aggregation {
            if let Some(c) = self.coordinator().filter(|&c| c != self.me) {
                t = t
                    .min(self.agg_anchor.saturating_add(coordinator_deadline))
                    .min(self.heard(c).saturating_add(liveness));
            }
        }
        if self.phase == Phase::BroadcastConfirmation {
            if let Some(gone) = self.confirmation_deadline(liveness) {
                t = t.min(gone);
            }
            if let Some(c) = self.coordinator().filter(|&c| c != self.me) {
                if self.notices.get(c) != Some(&true) {
                    t = t.min(self.heard(c).saturating_add(liveness));
                }
            }
        }
        t
    }

    fn on_timeout(&mut self, core: &mut super::core::Core, now: u64) {
        let cfg = core.config.clone();
        if self.phase.is_terminal() {
            return;
        }
        if now >= self.ann.expires_at {
            if self.signature.is_some() {
                // The verified signature stands; only confirmations were missing.
                self.complete(core);
            } else {
                self.fail(core, "session expired");
            }
            return;
        }
        if self.phase == Phase::Announced {
            return;
        }
        self.failover(core, now);
        if self.conclude(core, now) {
            return;
        }
        if now >= self.next_retransmit {
            self.retransmits = self.retransmits.saturating_add(1);
            let backoff = 1u64 << self.retransmits.min(MAX_RETRANSMIT_BACKOFF);
            self.next_retransmit =
                now.saturating_add(cfg.retransmit_interval_ms.saturating_mul(backoff));
            let contributions = self.contributions();
            let lagging: Vec<_> = (0..self.n())
                .filter(|&j| self.lacks(j))
                .map(|j| self.key(j))
                .collect();
            for m in &contributions {
                core.send_to(&lagging, self.id, self.attempt, m, now);
            }
        }
        if now >= self.next_heartbeat && !self.phase.is_terminal() {
            self.next_heartbeat = now.saturating_add(cfg.heartbeat_interval_ms);
            let others = self.others();
            let hb = Message::Heartbeat {
                phase: self.phase as u8,
                have: self.have_bitmap(),
            };
            core.send_to(&others, self.id, self.attempt, &hb, now);
        }
    }

    /// Moves to the next coordinator when the current one is silent or late, skipping each
    /// candidate that is silent too. In aggregation every signer holds all partial
    /// signatures, so each one that declares the failure aggregates at once itself (the
    /// signature is the same whoever computes it) and the new coordinator takes the broadcast
    /// duty. Once the signature is known, a duty holder that goes silent without confirming
    /// it passes the duty on the same way ([`Event::BroadcastDuty`] when it reaches us).
    fn failover(&mut self, core: &mut super::core::Core, now: u64) {
        let confirming = self.phase == Phase::BroadcastConfirmation;
        if self.phase != Phase::Aggregation && !confirming {
            return;
        }
        let (liveness, deadline) = (
            core.config.liveness_timeout_ms,
            core.config.coordinator_deadline_ms,
        );
        let silent = |s: &Self, c: usize| now >= s.heard(c).saturating_add(liveness);
        let Some(mut c) = self.coordinator() else {
            return;
        };
        if c == self.me {
            return;
        }
        let late = !confirming && now >= self.agg_anchor.saturating_add(deadline);
        let unconfirmed = self.notices.get(c) != Some(&true);
        if !(late || (silent(self, c) && (!confirming || unconfirmed))) {
            return;
        }
        let next = loop {
            self.coord = self.coord.saturating_add(1);
            let Some(next) = self.coordinator() else {
                if !confirming {
                    self.fail(core, "every coordinator failed");
                }
                return;
            };
            core.event(Event::Failover {
                session_id: self.id,
                failed: self.key(c),
                coordinator: self.key(next),
                failures: self.coord,
            });
            if next == self.me || !silent(self, next) {
                break next;
            }
            c = next;
        };
        self.agg_anchor = now;
        if confirming {
            if let (true, Some(signature)) = (next == self.me, self.signature) {
                core.event(Event::BroadcastDuty {
                    session_id: self.id,
                    signature,
                });
            }
        } else if self.aggregate(core, now, next == self.me).is_err() {
            self.fail(core, "aggregation failed");
        }
    }

    /// Ends `BroadcastConfirmation` as completed once every other signer confirmed or is gone
    /// (see [`Session::confirmations_done`]); returns whether it did. A gone duty holder's
    /// broadcast duty is passed on first, so no signer completes while the duty falls to it
    /// unannounced: a notice can make a signer done before its own timer has run the
    /// failover (a busy driver runs timers late).
    pub(crate) fn conclude(&mut self, core: &mut super::core::Core, now: u64) -> bool {
        if self.phase != Phase::BroadcastConfirmation
            || !self.confirmations_done(now, core.config.liveness_timeout_ms)
        {
            return false;
        }
        self.failover(core, now);
        self.complete(core);
        true
    }
}

impl Machine {
    /// Processes every timer due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        let core = &mut self.core;
        for s in self.sessions.values_mut() {
            s.on_timeout(core, now);
        }
        let skew = core.config.max_clock_skew_ms;
        let expired: Vec<[u8; 32]> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.ann.expires_at.saturating_add(skew) < now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.sessions.remove(&id);
            self.replay.forget_session(&id);
        }
    }

    /// When [`Machine::handle_timeout`] should next be called, if ever.
    pub fn poll_timeout(&self) -> Option<u64> {
        let (l, d) = (
            self.core.config.liveness_timeout_ms,
            self.core.config.coordinator_deadline_ms,
        );
        let skew = self.core.config.max_clock_skew_ms;
        self.sessions
            .values()
            .map(|s| {
                if s.phase.is_terminal() {
                    s.ann.expires_at.saturating_add(skew).saturating_add(1)
                } else {
                    s.deadline(l, d)
                }
            })
            .min()
    }
}
