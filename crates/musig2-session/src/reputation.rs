//! Reputation scores, the temporary graylist and the permanent blacklist (protocol.md §7).
//!
//! Scores change only through [`Reputation::penalize`] with an [`Offence`] (the culprit of a
//! typed error), [`Reputation::reward`] for accepted messages, and [`Reputation::ban`].

use crate::config::ReputationConfig;
use crate::error::Offence;
use crate::peer::{BoundedMap, PeerId};

/// A peer's standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Messages are processed.
    Good,
    /// Messages are dropped unread until the given time (ms).
    Graylisted {
        /// End of the graylisting.
        until: u64,
    },
    /// Messages are dropped unread for good; the driver should disconnect the peer.
    Blacklisted,
}

#[derive(Clone, Copy, Debug, Default)]
struct Record {
    score: i32,
    gray_until: u64,
    banned: bool,
}

/// Bounded table of peer scores. When full, the best-behaved unpunished peer is forgotten;
/// graylisted and blacklisted peers are never evicted (if all are, new peers go untracked
/// and start fresh each time, which only helps them to the default score of 0).
#[derive(Debug)]
pub struct Reputation {
    peers: BoundedMap<PeerId, Record>,
    config: ReputationConfig,
    graylist_ms: u64,
}

impl Reputation {
    /// A table for at most `capacity` peers.
    pub fn new(config: ReputationConfig, graylist_ms: u64, capacity: usize) -> Self {
        Self {
            peers: BoundedMap::new(capacity),
            config,
            graylist_ms,
        }
    }

    fn record(&mut self, peer: &PeerId) -> Option<&mut Record> {
        self.peers.entry_or_insert(peer, Record::default, |r| {
            (!r.banned && r.gray_until == 0).then_some(-r.score)
        })
    }

    /// The peer's standing at `now`.
    pub fn standing(&self, peer: &PeerId, now: u64) -> Standing {
        match self.peers.get(peer) {
            Some(r) if r.banned => Standing::Blacklisted,
            Some(r) if r.gray_until > now => Standing::Graylisted {
                until: r.gray_until,
            },
            _ => Standing::Good,
        }
    }

    /// The peer's score (0 if unknown).
    pub fn score(&self, peer: &PeerId) -> i32 {
        self.peers.get(peer).map_or(0, |r| r.score)
    }

    /// Subtracts the offence's penalty; graylists or blacklists at the thresholds.
    pub fn penalize(&mut self, peer: &PeerId, offence: Offence, now: u64) -> Standing {
        let penalty = self.config.penalties.of(offence);
        let (gray, ban, gray_ms) = (
            self.config.graylist_score,
            self.config.ban_score,
            self.graylist_ms,
        );
        if let Some(r) = self.record(peer) {
            r.score = r.score.saturating_sub(penalty);
            if r.score <= ban {
                r.banned = true;
            } else if r.score <= gray && r.gray_until <= now {
                r.gray_until = now.saturating_add(gray_ms);
            }
        }
        self.standing(peer, now)
    }

    /// Adds the reward for an accepted message, up to the maximum score.
    pub fn reward(&mut self, peer: &PeerId) {
        let (reward, max) = (self.config.reward, self.config.max_score);
        if let Some(r) = self.record(peer) {
            r.score = r.score.saturating_add(reward).min(max);
        }
    }

    /// Blacklists the peer permanently.
    pub fn ban(&mut self, peer: &PeerId) {
        if let Some(r) = self.record(peer) {
            r.banned = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_graylist_then_ban() {
        let mut rep = Reputation::new(ReputationConfig::default(), 1_000, 8);
        let p = PeerId::new(vec![7]);
        assert_eq!(rep.penalize(&p, Offence::Duplicate, 0), Standing::Good);
        assert_eq!(rep.score(&p), -1);
        rep.penalize(&p, Offence::Equivocation, 0);
        assert_eq!(
            rep.penalize(&p, Offence::ForgedSignature, 0),
            Standing::Graylisted { until: 1_000 }
        );
        assert_eq!(rep.standing(&p, 1_000), Standing::Good);
        for _ in 0..5 {
            rep.penalize(&p, Offence::Equivocation, 2_000);
        }
        assert_eq!(rep.standing(&p, 10_000), Standing::Blacklisted);
        let q = PeerId::new(vec![8]);
        for _ in 0..500 {
            rep.reward(&q);
        }
        assert_eq!(rep.score(&q), 100);
        rep.ban(&q);
        assert_eq!(rep.standing(&q, 0), Standing::Blacklisted);
    }
}
