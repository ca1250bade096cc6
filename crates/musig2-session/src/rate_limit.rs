//! Advertisement rate limiting (protocol.md §7.1): one per interval per peer; every early one
//! is a violation, and enough violations blacklist the peer for good.

use crate::error::Error;
use crate::peer::{BoundedMap, PeerId};

#[derive(Clone, Copy, Debug)]
struct Entry {
    last: u64,
    violations: u32,
}

/// Outcome of a rate check that did not pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateViolation {
    /// Too early; the message is dropped and the peer penalized.
    Early(u32),
    /// The violation limit is reached: blacklist the peer permanently.
    Ban(u32),
}

impl From<RateViolation> for Error {
    fn from(v: RateViolation) -> Self {
        match v {
            RateViolation::Early(violations) | RateViolation::Ban(violations) => {
                Error::RateLimited { violations }
            }
        }
    }
}

/// Per-peer advertisement rate limiter, bounded in the number of peers.
#[derive(Debug)]
pub struct RateLimiter {
    peers: BoundedMap<PeerId, Entry>,
    interval_ms: u64,
    ban_after: u32,
}

impl RateLimiter {
    /// One message per `interval_ms`; blacklist after `ban_after` violations; at most
    /// `capacity` peers tracked (evicting the one idle longest and without violations first).
    pub fn new(interval_ms: u64, ban_after: u32, capacity: usize) -> Self {
        Self {
            peers: BoundedMap::new(capacity),
            interval_ms,
            ban_after,
        }
    }

    /// Records a message from `peer` at `now`.
    ///
    /// # Errors
    /// A [`RateViolation`] when it came less than the interval after the last accepted one.
    pub fn check(&mut self, peer: &PeerId, now: u64) -> Result<(), RateViolation> {
        let fresh = self.peers.get(peer).is_none();
        let Some(e) = self.peers.entry_or_insert(
            peer,
            || Entry {
                last: now,
                violations: 0,
            },
            |e| Some((e.violations, e.last)),
        ) else {
            return Ok(());
        };
        if fresh || now.saturating_sub(e.last) >= self.interval_ms {
            e.last = now;
            return Ok(());
        }
        e.violations = e.violations.saturating_add(1);
        if e.violations >= self.ban_after {
            Err(RateViolation::Ban(e.violations))
        } else {
            Err(RateViolation::Early(e.violations))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_interval_then_ban() {
        let mut r = RateLimiter::new(60_000, 10, 16);
        let p = PeerId::new(vec![1]);
        assert!(r.check(&p, 0).is_ok());
        for i in 1..10 {
            assert_eq!(r.check(&p, 1_000), Err(RateViolation::Early(i)));
        }
        assert_eq!(r.check(&p, 2_000), Err(RateViolation::Ban(10)));
        let q = PeerId::new(vec![2]);
        assert!(r.check(&q, 0).is_ok());
        assert!(r.check(&q, 60_000).is_ok());
        assert!(r.check(&q, 119_999).is_err());
    }
}
