//! Signers that are gone: a coordinator whose connection closed is failed over at once, and a
//! signer that stays silent does not hold the others in `BroadcastConfirmation` for ever (the
//! final signature stands without its confirmation).

use super::io::Event;
use super::session::Session;
use super::{Machine, Phase};
use crate::wire::KeyBytes;

impl Session {
    /// Whether every other signer confirmed the final signature or has been silent for
    /// `liveness` ms (gone: it cannot confirm, and the signature stands without it; it still
    /// gets the signature if it comes back and asks).
    pub(crate) fn confirmations_done(&self, now: u64, liveness: u64) -> bool {
        (0..self.n()).all(|j| {
            j == self.me
                || self.notices.get(j) == Some(&true)
                || now >= self.heard(j).saturating_add(liveness)
        })
    }

    /// When every signer still lacking a confirmation will have been silent long enough to be
    /// taken as gone (unless one is heard from before).
    pub(crate) fn confirmation_deadline(&self, liveness: u64) -> Option<u64> {
        (0..self.n())
            .filter(|&j| j != self.me && self.notices.get(j) != Some(&true))
            .map(|j| self.heard(j).saturating_add(liveness))
            .max()
    }

    /// When signer `j` was last heard from (0: never, or its connection closed since).
    pub(crate) fn heard(&self, j: usize) -> u64 {
        self.last_heard.get(j).copied().unwrap_or(0)
    }

    /// Ends the session as completed (the final signature is known).
    pub(crate) fn complete(&mut self, core: &mut super::core::Core) {
        self.set_phase(core, Phase::Completed);
        core.event(Event::Completed {
            session_id: self.id,
        });
    }
}

impl Machine {
    /// The transport lost its last connection to the peer holding `key`: in every running
    /// session it counts as silent from now on, so a coordinator we wait for is failed over at
    /// once (not after the liveness timeout) and nobody waits for its confirmation. A message
    /// from it later counts as hearing from it again. The driver calls it when a peer's last
    /// connection closes; nothing else changes (no penalty, no new attempt, no nonce).
    pub fn signer_unreachable(&mut self, now: u64, key: &KeyBytes) {
        for s in self.sessions.values_mut() {
            if s.phase.is_terminal() {
                continue;
            }
            let Some(j) = s.index_of(key).filter(|&j| j != s.me) else {
                continue;
            };
            if let Some(t) = s.last_heard.get_mut(j) {
                *t = 0;
            }
        }
        self.handle_timeout(now);
    }
}
