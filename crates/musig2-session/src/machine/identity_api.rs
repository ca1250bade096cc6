//! Application-facing identity accessors: resolved tiers reported by the driver.

use super::Machine;
use crate::identity::IdentityTier;
use crate::peer::PeerId;
use crate::wire::{IdentityClaim, KeyBytes};

impl Machine {
    /// Reports the tier the application resolved for `claim` of `key` (after
    /// [`crate::Event::IdentityClaimSeen`]). The verifier records it, so the key's cap follows
    /// the tier from its next advertisement; a directory entry of `key` advertised with this
    /// claim takes the tier at once. Returns `false` when the verifier does not take resolved
    /// tiers (e.g. [`crate::identity::NoIdentity`]); nothing changes then.
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
        if let Some(known) = self.directory.get_mut(&key) {
            if known.claim == Some(claim) {
                known.tier = verified;
            }
        }
        true
    }

    /// Carries the standing of `old_peer` over to `new_peer` when the driver learns (from its
    /// identity verifier, e.g. [`crate::identity::BurnVerifier::identity`]) that both carry
    /// one identity across a rotation: a ban or graylisting follows the identity, and a
    /// rotated-in key without a record of its own keeps the old key's score (see
    /// [`crate::reputation::Reputation::inherit`]).
    pub fn inherit_standing(&mut self, old_peer: &PeerId, new_peer: &PeerId, now: u64) {
        self.reputation.inherit(old_peer, new_peer, now);
    }
}
