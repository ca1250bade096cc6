//! Application-facing identity accessors: resolved tiers reported by the driver.

use super::Machine;
use crate::identity::IdentityTier;
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
}
