//! Replay protection (protocol.md §6): strictly increasing sequence numbers per sender per
//! session, bounded timestamp skew.

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

/// Last accepted sequence number per `(session ID, sender)`, bounded. When full, the entry
/// touched longest ago is evicted; the timestamp check still bounds what an evicted sender's
/// old messages could replay.
#[derive(Debug)]
pub struct ReplayGuard {
    last: BoundedMap<([u8; 32], KeyBytes), (u64, u64)>,
}

impl ReplayGuard {
    /// A guard remembering at most `capacity` senders.
    pub fn new(capacity: usize) -> Self {
        Self {
            last: BoundedMap::new(capacity),
        }
    }

    /// Accepts `seq` if it is above the last accepted number of this sender in this session,
    /// and records it.
    ///
    /// # Errors
    /// [`Error::Duplicate`] for an equal number, [`Error::SeqRegression`] for a lower one.
    pub fn check_and_record(
        &mut self,
        session_id: &[u8; 32],
        sender: &KeyBytes,
        seq: u64,
        now: u64,
    ) -> Result<(), Error> {
        let key = (*session_id, *sender);
        if let Some(&(last, _)) = self.last.get(&key) {
            if seq == last {
                return Err(Error::Duplicate { seq });
            }
            if seq < last {
                return Err(Error::SeqRegression { seq, last });
            }
        }
        if let Some(e) = self
            .last
            .entry_or_insert(&key, || (seq, now), |&(_, at)| Some(at))
        {
            *e = (seq, now);
        }
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
        assert_eq!(
            g.check_and_record(&s, &k, 4, 0),
            Err(Error::SeqRegression { seq: 4, last: 5 })
        );
        assert!(g.check_and_record(&s, &k, 6, 0).is_ok());
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
