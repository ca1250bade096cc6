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

/// Which keys each peer advertised, capped per tier. Bounded in peers.
#[derive(Debug)]
pub struct KeyRegistry {
    peers: BoundedMap<PeerId, BTreeSet<KeyBytes>>,
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
    ) -> Result<(), Error> {
        let cap = self.cap(tier);
        let Some(keys) = self
            .peers
            .entry_or_insert(peer, BTreeSet::new, |k| Some(usize::MAX - k.len()))
        else {
            return Err(Error::Capacity("key registry"));
        };
        if keys.contains(key) {
            return Ok(());
        }
        if keys.len() >= cap {
            return Err(Error::KeyCapExceeded { cap });
        }
        keys.insert(*key);
        Ok(())
    }

    /// Number of keys the peer advertised.
    pub fn count(&self, peer: &PeerId) -> usize {
        self.peers.get(peer).map_or(0, BTreeSet::len)
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
            assert!(reg.admit(&p, &key(i), IdentityTier::Unverified).is_ok());
        }
        assert!(
            reg.admit(&p, &key(3), IdentityTier::Unverified).is_ok(),
            "known key"
        );
        assert_eq!(
            reg.admit(&p, &key(10), IdentityTier::Unverified),
            Err(Error::KeyCapExceeded { cap: 10 })
        );
        assert!(reg.admit(&p, &key(10), IdentityTier::Verified).is_ok());
        for i in 11..50 {
            assert!(reg.admit(&p, &key(i), IdentityTier::Verified).is_ok());
        }
        assert_eq!(
            reg.admit(&p, &key(50), IdentityTier::Verified),
            Err(Error::KeyCapExceeded { cap: 50 })
        );
        assert!(reg.admit(&p, &key(50), IdentityTier::Institutional).is_ok());
        assert_eq!(reg.count(&p), 51);
        assert_eq!(NoIdentity.tier(&key(0), None), IdentityTier::Unverified);
    }
}
