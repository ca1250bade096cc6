//! Replay protection (protocol.md §6): senders number their messages strictly increasingly;
//! receivers accept each number at most once per sender per session, and none more than
//! [`REPLAY_WINDOW`] below the highest accepted (a sliding window, as in IPsec, because the
//! transport may reorder). Timestamps must lie within a bounded skew.

use crate::error::Error;
use crate::peer::BoundedMap;
use crate::wire::KeyBytes;

/// Checks that `timestamp` lies within `skew` of `now`.
///
/// # Errors
/// [`Error::BadTimestamp`] for a stale or future timestamp.
pub fn check_timestamp(timestamp: u64, now: u64, skew: u64) -> Result<(), Error> {
    if timestamp.abs_diff(now) > skew {
        return Err(Error::BadTimestamp { timestamp, now });
    }
    Ok(())
}

/// How far below the highest accepted number a reordered message may still arrive.
pub const REPLAY_WINDOW: u64 = 64;

#[derive(Clone, Copy, Debug)]
struct Window {
    /// Highest accepted number.
    max: u64,
    /// Bit `i` set: `max - i` was accepted (bit 0 is `max` itself).
    seen: u64,
    /// When the entry was last touched (eviction order).
    touched: u64,
}

/// Accepted sequence numbers per `(session ID, sender)`, bounded. When full, the entry
/// touched longest ago is evicted; the timestamp check still bounds what an evicted sender's
/// old messages could replay.
#[derive(Debug)]
pub struct ReplayGuard {
    last: BoundedMap<([u8; 32], KeyBytes), Window>,
}

impl ReplayGuard {
    /// A guard remembering at most `capacity` senders.
    pub fn new(capacity: usize) -> Self {
        Self {
            last: BoundedMap::new(capacity),
        }
    }

    /// Accepts `seq` unless it was accepted before or lies [`REPLAY_WINDOW`] or more below
    /// the highest accepted number of this sender in this session, and records it.
    ///
    /// # Errors
    /// [`Error::Duplicate`] for a number already accepted, [`Error::SeqRegression`] for one
    /// too far below the highest.
    pub fn check_and_record(
        &mut self,
        session_id: &[u8; 32],
        sender: &KeyBytes,
        seq: u64,
        now: u64,
    ) -> Result<(), Error> {
        let key = (*session_id, *sender);
        let fresh = Window {
            max: seq,
            seen: 1,
            touched: now,
        };
        let known = self.last.get(&key).is_some();
        let Some(w) = self
            .last
            .entry_or_insert(&key, || fresh, |w| Some(w.touched))
        else {
            return Ok(());
        };
        if !known {
            return Ok(());
        }
        if seq > w.max {
            let shift = seq - w.max;
            w.seen = if shift >= 64 { 0 } else { w.seen << shift } | 1;
            w.max = seq;
        } else {
            let back = w.max - seq;
            if back >= REPLAY_WINDOW {
                return Err(Error::SeqRegression { seq, last: w.max });
            }
            let bit = 1u64 << back;
            if w.seen & bit != 0 {
                return Err(Error::Duplicate { seq });
            }
            w.seen |= bit;
        }
        w.touched = now;
        Ok(())
    }

    /// Forgets every sender of a session (when the session is dropped).
    pub fn forget_session(&mut self, session_id: &[u8; 32]) {
        self.last.retain(|(sid, _), _| sid != session_id);
    }

    /// Number of tracked senders.
    pub fn len(&self) -> usize {
        self.last.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_must_strictly_increase() {
        let mut g = ReplayGuard::new(8);
        let (s, k) = ([1u8; 32], [2u8; 33]);
        assert!(g.check_and_record(&s, &k, 5, 0).is_ok());
        assert_eq!(
            g.check_and_record(&s, &k, 5, 0),
            Err(Error::Duplicate { seq: 5 })
        );
        assert!(
            g.check_and_record(&s, &k, 4, 0).is_ok(),
            "reordered within the window"
        );
        assert_eq!(
            g.check_and_record(&s, &k, 4, 0),
            Err(Error::Duplicate { seq: 4 })
        );
        assert!(g.check_and_record(&s, &k, 100, 0).is_ok());
        assert_eq!(
            g.check_and_record(&s, &k, 36, 0),
            Err(Error::SeqRegression { seq: 36, last: 100 })
        );
        assert!(g.check_and_record(&s, &k, 37, 0).is_ok());
        assert_eq!(
            g.check_and_record(&s, &k, 100, 0),
            Err(Error::Duplicate { seq: 100 })
        );
        assert!(
            g.check_and_record(&[9u8; 32], &k, 1, 0).is_ok(),
            "per session"
        );
        g.forget_session(&s);
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn capacity_is_bounded() {
        let mut g = ReplayGuard::new(3);
        for i in 0..10u8 {
            assert!(g
                .check_and_record(&[i; 32], &[2u8; 33], 1, u64::from(i))
                .is_ok());
        }
        assert_eq!(g.len(), 3);
    }

    #[test]
    fn timestamps_are_bounded() {
        assert!(check_timestamp(1_000, 1_500, 500).is_ok());
        assert!(check_timestamp(2_000, 1_500, 500).is_ok());
        assert!(check_timestamp(999, 1_500, 500).is_err());
        assert!(check_timestamp(2_001, 1_500, 500).is_err());
    }
}
