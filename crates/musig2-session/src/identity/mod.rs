//! Sybil defence: identity tiers decide how many keys a peer may advertise (protocol.md §7.4).

mod burn;

pub use burn::{
    identity_id, rotation_message, BurnConfig, BurnVerifier, ChainOutput, ChainView, LOKAD_PREFIX,
    MAX_ROTATION_LINKS, MAX_ROTATION_OUTPUTS, ROTATION_TAG,
};

use std::collections::BTreeSet;

use crate::config::KeyCaps;
use crate::error::Error;
use crate::peer::{BoundedMap, PeerId};
use crate::wire::{IdentityClaim, KeyBytes};

/// How strongly a key's identity is established.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdentityTier {
    /// No identity, or one that does not check out.
    Unverified,
    /// A verified identity.
    Verified,
    /// A verified identity of an institution (a larger burn).
    Institutional,
}

/// Decides the tier of an advertised key from its identity claim.
///
/// Implementations must be deterministic and must not block: look-ups the application has to
/// do over the network are done ahead of time and cached by the implementation.
pub trait IdentityVerifier {
    /// The tier of `key` given its claim (`None` when the advertisement carries none).
    fn tier(&self, key: &KeyBytes, claim: Option<&IdentityClaim>) -> IdentityTier;

    /// Whether the driver should resolve `claim` for `key` (the machine then emits
    /// [`crate::Event::IdentityClaimSeen`]). Called once per advertisement carrying a claim;
    /// a caching verifier answers `true` once per unresolved claim. Default: `false`.
    fn needs_resolution(&mut self, _key: &KeyBytes, _claim: &IdentityClaim) -> bool {
        false
    }

    /// Records the tier the application resolved for `claim` of `key`. Returns `false` when
    /// the verifier does not take resolved tiers (the default).
    fn set_tier(&mut self, _key: &KeyBytes, _claim: &IdentityClaim, _tier: IdentityTier) -> bool {
        false
    }
}

/// A verifier backed by tiers the application resolved (e.g. by an asynchronous chain look-up
/// in JavaScript): [`IdentityTier::Unverified`] until [`CachedTiers::set_tier`] records the
/// tier of exactly that key and claim. Bounded: at most `capacity` resolved keys (the oldest
/// resolution is forgotten first) and `capacity` claims awaiting resolution (the oldest
/// request is forgotten first, so a flood of claims cannot stop new ones being asked for).
#[derive(Debug)]
pub struct CachedTiers {
    resolved: BoundedMap<KeyBytes, (IdentityClaim, IdentityTier, u64)>,
    pending: BoundedMap<(KeyBytes, IdentityClaim), u64>,
    clock: u64,
}

impl CachedTiers {
    /// A cache of at most `capacity` keys (use `Config::max_known_signers`).
    pub fn new(capacity: usize) -> Self {
        Self {
            resolved: BoundedMap::new(capacity.max(1)),
            pending: BoundedMap::new(capacity.max(1)),
            clock: 0,
        }
    }

    /// Records that `claim` establishes `tier` for `key` (replacing an earlier resolution).
    pub fn set_tier(&mut self, key: KeyBytes, claim: IdentityClaim, tier: IdentityTier) {
        self.clock = self.clock.saturating_add(1);
        let stamp = self.clock;
        self.pending.retain(|(k, _), _| *k != key);
        if let Some(slot) =
            self.resolved
                .entry_or_insert(&key, || (claim, tier, stamp), |(_, _, t)| Some(*t))
        {
            *slot = (claim, tier, stamp);
        }
    }

    /// The resolved tier of `key` under `claim`, if known.
    pub fn get(&self, key: &KeyBytes, claim: &IdentityClaim) -> Option<IdentityTier> {
        self.resolved
            .get(key)
            .filter(|(c, _, _)| c == claim)
            .map(|(_, t, _)| *t)
    }

    /// Number of resolved keys.
    pub fn len(&self) -> usize {
        self.resolved.len()
    }

    /// Whether no key is resolved.
    pub fn is_empty(&self) -> bool {
        self.resolved.len() == 0
    }
}

impl IdentityVerifier for CachedTiers {
    fn tier(&self, key: &KeyBytes, claim: Option<&IdentityClaim>) -> IdentityTier {
        claim
            .and_then(|c| self.get(key, c))
            .unwrap_or(IdentityTier::Unverified)
    }

    fn needs_resolution(&mut self, key: &KeyBytes, claim: &IdentityClaim) -> bool {
        if self.get(key, claim).is_some() {
            return false;
        }
        let k = (*key, *claim);
        if self.pending.get(&k).is_some() {
            return false;
        }
        self.clock = self.clock.saturating_add(1);
        let stamp = self.clock;
        self.pending.entry_or_insert(&k, || stamp, |t| Some(*t));
        true
    }

    fn set_tier(&mut self, key: &KeyBytes, claim: &IdentityClaim, tier: IdentityTier) -> bool {
        CachedTiers::set_tier(self, *key, *claim, tier);
        true
    }
}

/// A verifier that trusts no identity: every key is [`IdentityTier::Unverified`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NoIdentity;

impl IdentityVerifier for NoIdentity {
    fn tier(&self, _key: &KeyBytes, _claim: Option<&IdentityClaim>) -> IdentityTier {
        IdentityTier::Unverified
    }
}

#[derive(Debug, Default)]
struct Holder {
    keys: BTreeSet<KeyBytes>,
    touched: u64,
}

/// Which keys each peer advertised, capped per tier. Bounded in peers: when full, the peer
/// with the fewest keys, heard from longest ago, is forgotten, so a peer at its cap is
/// forgotten only after every smaller holder (churn cannot hand it a fresh cap sooner than
/// it could get one with a new identity anyway).
#[derive(Debug)]
pub struct KeyRegistry {
    peers: BoundedMap<PeerId, Holder>,
    caps: KeyCaps,
}

impl KeyRegistry {
    /// A registry of at most `capacity` peers.
    pub fn new(caps: KeyCaps, capacity: usize) -> Self {
        Self {
            peers: BoundedMap::new(capacity),
            caps,
        }
    }

    /// The cap of a tier.
    pub fn cap(&self, tier: IdentityTier) -> usize {
        match tier {
            IdentityTier::Unverified => self.caps.unverified,
            IdentityTier::Verified => self.caps.verified,
            IdentityTier::Institutional => self.caps.institutional,
        }
    }

    /// Records that `peer` advertises `key`; the best tier among its keys sets the cap.
    ///
    /// # Errors
    /// [`Error::KeyCapExceeded`] when the key is new and the peer is at its cap.
    pub fn admit(
        &mut self,
        peer: &PeerId,
        key: &KeyBytes,
        tier: IdentityTier,
        now: u64,
    ) -> Result<(), Error> {
        let cap = self.cap(tier);
        let Some(holder) = self
            .peers
            .entry_or_insert(peer, Holder::default, |h| Some((h.keys.len(), h.touched)))
        else {
            return Err(Error::Capacity("key registry"));
        };
        holder.touched = holder.touched.max(now);
        if holder.keys.contains(key) {
            return Ok(());
        }
        if holder.keys.len() >= cap {
            return Err(Error::KeyCapExceeded { cap });
        }
        holder.keys.insert(*key);
        Ok(())
    }

    /// Number of keys the peer advertised.
    pub fn count(&self, peer: &PeerId) -> usize {
        self.peers.get(peer).map_or(0, |h| h.keys.len())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn caps_follow_the_tier() {
        let mut reg = KeyRegistry::new(KeyCaps::default(), 8);
        let p = PeerId::new(vec![1]);
        let key = |i: u8| {
            let mut k = [2u8; 33];
            k[1] = i;
            k
        };
        for i in 0..10 {
            assert!(reg.admit(&p, &key(i), IdentityTier::Unverified, 0).is_ok());
        }
        assert!(
            reg.admit(&p, &key(3), IdentityTier::Unverified, 0).is_ok(),
            "known key"
        );
        assert_eq!(
            reg.admit(&p, &key(10), IdentityTier::Unverified, 0),
            Err(Error::KeyCapExceeded { cap: 10 })
        );
        assert!(reg.admit(&p, &key(10), IdentityTier::Verified, 0).is_ok());
        for i in 11..50 {
            assert!(reg.admit(&p, &key(i), IdentityTier::Verified, 0).is_ok());
        }
        assert_eq!(
            reg.admit(&p, &key(50), IdentityTier::Verified, 0),
            Err(Error::KeyCapExceeded { cap: 50 })
        );
        assert!(reg
            .admit(&p, &key(50), IdentityTier::Institutional, 0)
            .is_ok());
        assert_eq!(reg.count(&p), 51);
        assert_eq!(NoIdentity.tier(&key(0), None), IdentityTier::Unverified);
    }
}
