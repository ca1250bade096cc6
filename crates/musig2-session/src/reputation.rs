//! Reputation scores, the temporary graylist and the permanent blacklist (protocol.md §7).
//!
//! Scores change only through [`Reputation::penalize`] with an [`Offence`] (the culprit of a
//! typed error), [`Reputation::reward`] for accepted messages, and [`Reputation::ban`].
//! [`Reputation::export`] and [`Reputation::import`] carry the table across restarts (the
//! wasm facade keeps it in IndexedDB): it is public data, peer IDs and numbers only.

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

/// One peer's reputation as exported for storage, and as accepted back by
/// [`Reputation::import`] (which treats it as untrusted input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReputationEntry {
    /// The transport peer.
    pub peer: PeerId,
    /// Its score.
    pub score: i32,
    /// End of its graylisting (ms since the Unix epoch); 0 when not graylisted.
    pub graylisted_until: u64,
    /// Blacklisted for good.
    pub blacklisted: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Record {
    score: i32,
    gray_until: u64,
    banned: bool,
    /// Last time the peer sent anything (refused messages included).
    touched: u64,
}

/// Which record a full table forgets first: the peers without positive standing, the one
/// heard from longest ago first (punished or not: a throwaway identity's ban is worth
/// nothing once it has gone quiet, and keeping it must never cost the room a new offender
/// needs); peers with positive standing, which only sessions we joined give, last, lowest
/// score first. Every record is evictable, so the table always admits a new offender.
fn evict_rank(r: &Record) -> Option<(bool, i32, u64)> {
    Some((r.score > 0, r.score.max(0), r.touched))
}

/// Bounded table of peer scores. When full, the record chosen by `evict_rank` is
/// forgotten: churn of throwaway identities can only push out other non-positive records
/// that have been quiet longest, never pin the table; a peer that keeps sending stays
/// fresh (and so stays graylisted or banned while it keeps trying).
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

    fn record(&mut self, peer: &PeerId, now: u64) -> Option<&mut Record> {
        let r = self
            .peers
            .entry_or_insert(peer, Record::default, evict_rank)?;
        r.touched = r.touched.max(now);
        Some(r)
    }

    /// Notes that a peer sent something at `now` (a refused message keeps a graylisted or
    /// banned peer's record fresh, so it is not the first forgotten).
    pub fn touch(&mut self, peer: &PeerId, now: u64) {
        if self.peers.get(peer).is_some() {
            let _ = self.record(peer, now);
        }
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
        if let Some(r) = self.record(peer, now) {
            r.score = r.score.saturating_sub(penalty);
            if r.score <= ban {
                r.banned = true;
            } else if r.score <= gray && r.gray_until <= now {
                r.gray_until = now.saturating_add(gray_ms);
            }
        }
        self.standing(peer, now)
    }

    /// Adds the reward for an accepted message at `now`, up to the maximum score.
    pub fn reward(&mut self, peer: &PeerId, now: u64) {
        let (reward, max) = (self.config.reward, self.config.max_score);
        if let Some(r) = self.record(peer, now) {
            r.score = r.score.saturating_add(reward).min(max);
        }
    }

    /// Blacklists the peer (for as long as its record is kept, see the type docs).
    pub fn ban(&mut self, peer: &PeerId, now: u64) {
        if let Some(r) = self.record(peer, now) {
            r.banned = true;
        }
    }

    /// Carries `from`'s standing over to `to` (the same identity under a rotated-in key):
    /// a ban or graylisting of `from` applies to `to`; `to` takes `from`'s score when it has
    /// no record yet (rotation without reputation loss) and otherwise the lower of the two
    /// (a rotation never launders a punished key). Nothing happens when `from` is unknown.
    pub fn inherit(&mut self, from: &PeerId, to: &PeerId, now: u64) {
        if from == to {
            return;
        }
        let Some(old) = self.peers.get(from).copied() else {
            return;
        };
        let known = self.peers.get(to).is_some();
        if let Some(r) = self.record(to, now) {
            r.score = if known {
                r.score.min(old.score)
            } else {
                old.score
            };
            r.gray_until = r.gray_until.max(old.gray_until);
            r.banned |= old.banned;
        }
    }

    /// Every peer whose record differs from a newcomer's at `now` (non-zero score, graylisted
    /// or blacklisted), punished peers first. Expired graylistings are exported as 0.
    pub fn export(&self, now: u64) -> Vec<ReputationEntry> {
        let mut out: Vec<ReputationEntry> = self
            .peers
            .iter()
            .map(|(peer, r)| ReputationEntry {
                peer: peer.clone(),
                score: r.score,
                graylisted_until: if r.gray_until > now { r.gray_until } else { 0 },
                blacklisted: r.banned,
            })
            .filter(|e| e.score != 0 || e.graylisted_until != 0 || e.blacklisted)
            .collect();
        out.sort_by_key(punishment_rank);
        out
    }

    /// Merges stored entries into the table at `now`, never making a peer look better than
    /// either side says: the lower score, the later graylisting end, a ban from either side.
    /// Entries are untrusted: scores are clamped to the configured range, graylistings that
    /// already ended are dropped and those longer than one graylist duration from `now`
    /// are shortened to it. Punished peers are imported first and nothing already in the
    /// table is evicted for an imported peer: when the table is full the rest is skipped.
    pub fn import(&mut self, entries: &[ReputationEntry], now: u64) {
        let (max, ban_score) = (self.config.max_score, self.config.ban_score);
        let latest_gray = now.saturating_add(self.graylist_ms);
        let mut normalized: Vec<ReputationEntry> = entries
            .iter()
            .map(|e| {
                let score = e.score.clamp(ban_score.saturating_sub(1), max);
                ReputationEntry {
                    peer: e.peer.clone(),
                    score,
                    graylisted_until: if e.graylisted_until > now {
                        e.graylisted_until.min(latest_gray)
                    } else {
                        0
                    },
                    blacklisted: e.blacklisted || score <= ban_score,
                }
            })
            .collect();
        normalized.sort_by_key(punishment_rank);
        for e in normalized {
            let known = self.peers.get(&e.peer).is_some();
            if !known && self.peers.is_full() {
                continue;
            }
            if let Some(r) = self.record(&e.peer, now) {
                r.score = if known { r.score.min(e.score) } else { e.score };
                r.gray_until = r.gray_until.max(e.graylisted_until);
                r.banned |= e.blacklisted;
            }
        }
    }
}

/// Sort key putting blacklisted, then graylisted, then low-score peers first.
fn punishment_rank(e: &ReputationEntry) -> (bool, bool, i32) {
    (!e.blacklisted, e.graylisted_until == 0, e.score)
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
            rep.reward(&q, 0);
        }
        assert_eq!(rep.score(&q), 100);
        rep.ban(&q, 0);
        assert_eq!(rep.standing(&q, 0), Standing::Blacklisted);
    }

    fn entry(peer: u8, score: i32, graylisted_until: u64, blacklisted: bool) -> ReputationEntry {
        ReputationEntry {
            peer: PeerId::new(vec![peer]),
            score,
            graylisted_until,
            blacklisted,
        }
    }

    #[test]
    fn export_then_import_restores_scores_graylist_and_blacklist() {
        let mut rep = Reputation::new(ReputationConfig::default(), 1_000, 8);
        let (banned, gray, low, good, neutral) = (
            PeerId::new(vec![1]),
            PeerId::new(vec![2]),
            PeerId::new(vec![3]),
            PeerId::new(vec![4]),
            PeerId::new(vec![5]),
        );
        rep.ban(&banned, 0);
        for _ in 0..3 {
            rep.penalize(&gray, Offence::ForgedSignature, 100);
        }
        rep.penalize(&low, Offence::Duplicate, 100);
        rep.reward(&good, 0);
        rep.reward(&neutral, 0);
        rep.penalize(&neutral, Offence::Duplicate, 100);
        let exported = rep.export(500);
        assert_eq!(
            exported,
            vec![
                entry(1, 0, 0, true),
                entry(2, -60, 1_100, false),
                entry(3, -1, 0, false),
                entry(4, 1, 0, false),
            ],
            "punished first; a peer back at 0 is not exported"
        );

        let mut restored = Reputation::new(ReputationConfig::default(), 1_000, 8);
        restored.import(&exported, 600);
        assert_eq!(restored.standing(&banned, 600), Standing::Blacklisted);
        assert_eq!(
            restored.standing(&gray, 600),
            Standing::Graylisted { until: 1_100 }
        );
        assert_eq!(restored.standing(&gray, 1_100), Standing::Good);
        assert_eq!(restored.score(&gray), -60);
        assert_eq!(restored.score(&low), -1);
        assert_eq!(restored.score(&good), 1);
        assert_eq!(restored.export(600), exported);
        // After the graylisting ended it is no longer exported, the score still is.
        assert_eq!(
            restored.export(2_000).get(1),
            Some(&entry(2, -60, 0, false))
        );
    }

    #[test]
    fn import_treats_entries_as_untrusted_and_never_improves_a_peer() {
        let mut rep = Reputation::new(ReputationConfig::default(), 1_000, 3);
        rep.penalize(&PeerId::new(vec![9]), Offence::Equivocation, 0);
        let before = rep.score(&PeerId::new(vec![9]));
        rep.import(
            &[
                entry(9, 100, 0, false),
                entry(7, i32::MAX, 0, false),
                entry(8, i32::MIN, 0, false),
                entry(6, -10, u64::MAX, false),
                entry(5, -10, 10, false),
            ],
            50,
        );
        assert_eq!(
            rep.score(&PeerId::new(vec![9])),
            before,
            "kept the lower score"
        );
        assert_eq!(
            rep.standing(&PeerId::new(vec![8]), 50),
            Standing::Blacklisted,
            "a score below the ban threshold is a ban"
        );
        assert_eq!(
            rep.standing(&PeerId::new(vec![6]), 50),
            Standing::Graylisted { until: 1_050 },
            "graylisting clamped to one duration"
        );
        // Capacity 3: 9 (present), 8 (ban) and 6 (gray) fill it; 5 (its graylisting over)
        // and 7 are skipped rather than evicting anyone.
        assert_eq!(rep.score(&PeerId::new(vec![7])), 0);
        assert_eq!(rep.standing(&PeerId::new(vec![5]), 50), Standing::Good);
        assert_eq!(rep.export(50).len(), 3);
    }
}
