//! Book-keeping of the identity claims waiting for the application's verifier: at most
//! [`MAX_VERIFIER_CALLS`] calls in flight, a bounded queue behind them (the oldest claim is
//! dropped first, as `CachedTiers` forgets its oldest pending claim), and the
//! `signerAdvertised` events held back until their key's tier is known.

use std::collections::{BTreeMap, VecDeque};

use musig2_session::machine::SignerEntry;
use musig2_session::wire::{IdentityClaim, KeyBytes};

use crate::facade::identity_verifier::MAX_VERIFIER_CALLS;

/// Claims to resolve and the adverts waiting for them.
#[derive(Default)]
pub struct VerifierQueue {
    capacity: usize,
    in_flight: usize,
    queue: VecDeque<(KeyBytes, IdentityClaim)>,
    /// Claims queued or in flight, per key.
    pending: BTreeMap<KeyBytes, usize>,
    /// The latest advert of each pending key, emitted once its claims are resolved.
    held: BTreeMap<KeyBytes, SignerEntry>,
}

impl VerifierQueue {
    /// A queue of at most `capacity` waiting claims (use `Config::max_known_signers`).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            ..Self::default()
        }
    }

    /// Queues a claim. Returns the advert to emit now (unverified) when the queue was full
    /// and its oldest claim had to go.
    pub fn enqueue(&mut self, key: KeyBytes, claim: IdentityClaim) -> Option<SignerEntry> {
        let mut released = None;
        if self.queue.len() >= self.capacity {
            if let Some((old, _)) = self.queue.pop_front() {
                released = self.done(&old);
            }
        }
        self.queue.push_back((key, claim));
        *self.pending.entry(key).or_default() += 1;
        released
    }

    /// Holds `entry` back while a claim of its key waits; otherwise gives it back to emit now.
    pub fn hold(&mut self, entry: SignerEntry) -> Option<SignerEntry> {
        if self.pending.contains_key(&entry.key) {
            self.held.insert(entry.key, entry);
            None
        } else {
            Some(entry)
        }
    }

    /// The next claim to hand to the verifier, if a call slot is free.
    pub fn next(&mut self) -> Option<(KeyBytes, IdentityClaim)> {
        if self.in_flight >= MAX_VERIFIER_CALLS {
            return None;
        }
        let next = self.queue.pop_front()?;
        self.in_flight += 1;
        Some(next)
    }

    /// A call for `key` returned. Returns the held advert of `key` once none of its claims
    /// waits any more.
    pub fn finish(&mut self, key: &KeyBytes) -> Option<SignerEntry> {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.done(key)
    }

    fn done(&mut self, key: &KeyBytes) -> Option<SignerEntry> {
        let left = self.pending.get_mut(key).map(|n| {
            *n = n.saturating_sub(1);
            *n
        });
        if left == Some(0) {
            self.pending.remove(key);
            return self.held.remove(key);
        }
        None
    }
}
