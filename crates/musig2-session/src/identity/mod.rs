//! Sybil defence: identity tiers decide how many keys a peer may advertise (protocol.md §7.4).

mod burn;

pub use burn::{identity_id, BurnConfig, BurnVerifier, ChainOutput, ChainView, LOKAD_PREFIX};

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
