//! Identity tiers and rotations: resolved tiers reported by the driver, and reputation that
//! follows an identity from key to key (protocol.md §7.5).
//!
//! Whenever the machine learns that a key holds a verified tier for an identity (an
//! advertisement judged by a synchronous verifier, or a tier the application resolved), it
//! records the key and its transport peer under the identity ID
//! (`identity_id(&claim.registration)`). When the identity was last seen under another peer,
//! that peer's standing is carried over ([`crate::reputation::Reputation::inherit`]): a ban
//! or graylisting follows the identity, a fresh key keeps the old score. Only verified claims
//! link keys: the verifier gives a tier to the end key of the identity's chain alone, so a
//! claim naming someone else's registration without a valid chain moves nothing.
//!
//! The map holds `max_known_signers` identities; when full, the identity verified longest
//! ago is forgotten. Entering it costs a verified identity (a matured burn) per entry, so an
//! attacker cannot churn a victim's identity out cheaply; a forgotten identity only means
//! that its next rotation starts from the new key's own record.

use super::io::Event;
use super::Machine;
use crate::identity::{identity_id, IdentityTier};
use crate::peer::PeerId;
use crate::reputation::Standing;
use crate::wire::{IdentityClaim, KeyBytes};

/// The key and transport peer a verified identity was last seen under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Holder {
    key: KeyBytes,
    peer: PeerId,
    /// When the identity was last verified under it (ms).
    seen: u64,
}

impl Machine {
    /// Reports the tier the application resolved for `claim` of `key` (after
    /// [`crate::Event::IdentityClaimSeen`]). The verifier records it, so the key's cap follows
    /// the tier from its next advertisement; a directory entry of `key` advertised with this
    /// claim takes the tier at once, and when the tier is verified the identity's standing is
    /// carried over to that entry's peer (see the module docs; without a directory entry
    /// this happens at the key's next advertisement). Returns `false` when the verifier does
    /// not take resolved tiers (e.g. [`crate::identity::NoIdentity`]); nothing changes then.
    ///
    /// # Security
    /// A verified tier links `key` to the claim's identity and so moves reputation: the
    /// application must report one only for the end key of the identity's rotation chain
    /// (as [`crate::identity::BurnVerifier`] decides it).
    pub fn set_identity_tier(
        &mut self,
        key: KeyBytes,
        claim: IdentityClaim,
        tier: IdentityTier,
    ) -> bool {
        if !self.verifier.set_tier(&key, &claim, tier) {
            return false;
        }
        let verified = self.verifier.tier(&key, Some(&claim));
        let Some(known) = self.directory.get_mut(&key) else {
            return true;
        };
        if known.claim != Some(claim) {
            return true;
        }
        known.tier = verified;
        let (peer, at) = (known.peer.clone(), known.received_at);
        self.link_identity(&key, &peer, &claim, verified, at);
        true
    }

    /// Notes that `key`, delivered by `peer`, holds the identity of `claim` at `tier`; when
    /// the tier is verified and the identity was last seen under another peer, that peer's
    /// standing is carried over to `peer` (reported as [`Event::PeerBanned`] when that bans
    /// it). Returns `peer`'s standing afterwards.
    pub(super) fn link_identity(
        &mut self,
        key: &KeyBytes,
        peer: &PeerId,
        claim: &IdentityClaim,
        tier: IdentityTier,
        now: u64,
    ) -> Standing {
        if tier != IdentityTier::Unverified {
            let holder = Holder {
                key: *key,
                peer: peer.clone(),
                seen: now,
            };
            let id = identity_id(&claim.registration);
            let slot = self
                .identities
                .entry_or_insert(&id, || holder.clone(), |h| Some(h.seen));
            if let Some(slot) = slot {
                let old = std::mem::replace(slot, holder);
                if old.key != *key || old.peer != *peer {
                    let was_banned = self.reputation.standing(peer, now) == Standing::Blacklisted;
                    self.reputation.inherit(&old.peer, peer, now);
                    if !was_banned && self.reputation.standing(peer, now) == Standing::Blacklisted {
                        self.core.event(Event::PeerBanned { peer: peer.clone() });
                    }
                }
            }
        }
        self.reputation.standing(peer, now)
    }

    /// Carries the standing of `old_peer` over to `new_peer` (see
    /// [`crate::reputation::Reputation::inherit`]). The machine already does this itself for
    /// the keys its verifier (or [`Machine::set_identity_tier`]) verifies for one identity;
    /// this is for drivers that learn of a link some other way.
    pub fn inherit_standing(&mut self, old_peer: &PeerId, new_peer: &PeerId, now: u64) {
        self.reputation.inherit(old_peer, new_peer, now);
    }
}
