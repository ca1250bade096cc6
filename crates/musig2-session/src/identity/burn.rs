//! The burn-based identity verifier (protocol.md §7.5).
//!
//! An identity is anchored to an unspendable output `OP_RETURN push("LTMS" ‖ 0x01 ‖ key33)`
//! that burns coins. Its ID is `tagged_hash("musig2-p2p/v1/identity", txid ‖ vout_be32)`.
//! Registration counts after 144 confirmations. A rotation output
//! `OP_RETURN push("LTMS" ‖ 0x02 ‖ identity_id ‖ new_key33)` moves the identity to a new key
//! after 6 confirmations. Chain look-ups come from the application through [`ChainView`].
//!
//! A rotation must be authorised by the identity's key current at that point of its chain:
//! its payload is `identity_id ‖ new_key33 ‖ sig64`, where `sig64` is a BIP-340 signature by
//! the x-only form of the current key over
//! `tagged_hash("musig2-p2p/v1/rotation", identity_id ‖ new_key33)`. The 134-byte push
//! needs `OP_PUSHDATA1` and so exceeds the 80-byte standard relay limit of `OP_RETURN`
//! outputs: rotations are non-standard and must be mined directly (documented in
//! protocol.md §7.5).
//!
//! Chains are followed: registered key A, a rotation signed by A to B, one signed by B to C,
//! and so on ([`ChainView::rotations_of`] lists the candidates). Only the chain's end key gets
//! the identity's tier, and only with a claim naming the chain's last link; every earlier key
//! is revoked. A candidate not signed by the key current at that point, not matured, or
//! lower than the previous link is ignored. Work is bounded: at most
//! [`MAX_ROTATION_OUTPUTS`] candidates (one signature check each) and
//! [`MAX_ROTATION_LINKS`] links; an identity beyond either bound is
//! [`IdentityTier::Unverified`].

mod walk;

use musig2_crypto::hash::tagged_hash;

use super::{IdentityTier, IdentityVerifier};
use crate::wire::{IdentityClaim, KeyBytes, OutPoint};

/// LOKAD prefix of identity burn outputs.
pub const LOKAD_PREFIX: &[u8; 4] = b"LTMS";
const OP_RETURN: u8 = 0x6a;
const OP_PUSHDATA1: u8 = 0x4c;
const REGISTER: u8 = 0x01;
const ROTATE: u8 = 0x02;

/// Domain-separation tag of identity IDs.
pub const IDENTITY_TAG: &str = "musig2-p2p/v1/identity";

/// Domain-separation tag of rotation authorisations.
pub const ROTATION_TAG: &str = "musig2-p2p/v1/rotation";

/// Most rotation links followed from a registration. An identity whose chain has more
/// authorised links is [`IdentityTier::Unverified`] (bounded work; a holder that needs more
/// rotations registers anew).
pub const MAX_ROTATION_LINKS: usize = 16;

/// Most rotation outputs of one identity the verifier examines (each costs one signature
/// check). An identity for which the chain view reports more (forged candidates included) is
/// [`IdentityTier::Unverified`]: it fails closed rather than miss a revocation.
pub const MAX_ROTATION_OUTPUTS: usize = 64;

/// The message the current key signs (BIP-340) to rotate identity `id` to `new_key`.
pub fn rotation_message(id: &[u8; 32], new_key: &KeyBytes) -> [u8; 32] {
    tagged_hash(ROTATION_TAG, &[id, new_key])
}

/// The identity ID of a registration output.
pub fn identity_id(outpoint: &OutPoint) -> [u8; 32] {
    tagged_hash(
        IDENTITY_TAG,
        &[&outpoint.txid, &outpoint.vout.to_be_bytes()],
    )
}

/// A confirmed transaction output, as the application's chain view reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainOutput {
    /// The output script.
    pub script: Vec<u8>,
    /// Amount burned, in satoshis.
    pub value: u64,
    /// Height of the block that confirmed it.
    pub height: u64,
}

/// Chain look-ups supplied by the embedding application (answers from its own cache; this
/// crate never waits on the network).
pub trait ChainView {
    /// Height of the best block, if known.
    fn tip_height(&self) -> Option<u64>;
    /// The confirmed output at `outpoint`, if any.
    fn output(&self, outpoint: &OutPoint) -> Option<ChainOutput>;
    /// Every confirmed rotation output of identity `id` (an `OP_RETURN` of the rotation form
    /// naming `id`) the application's index knows, in chain order (by height, then position
    /// in the block), forged ones included: the verifier checks each. Used to follow the
    /// identity's chain and so revoke every key it moved away from. Default: none known (a
    /// claim's own rotation is then the only link considered, and nothing is revoked).
    fn rotations_of(&self, _id: &[u8; 32]) -> Vec<OutPoint> {
        Vec::new()
    }
}

/// Thresholds of the burn verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BurnConfig {
    /// Smallest burn for [`IdentityTier::Verified`], in satoshis. Default 1,000,000.
    pub min_burn: u64,
    /// Smallest burn for [`IdentityTier::Institutional`]. Default 100,000,000.
    pub institutional_burn: u64,
    /// Confirmations before a registration counts. Default 144.
    pub registration_confirmations: u64,
    /// Confirmations before a rotation counts. Default 6.
    pub rotation_confirmations: u64,
}

impl Default for BurnConfig {
    fn default() -> Self {
        Self {
            min_burn: 1_000_000,
            institutional_burn: 100_000_000,
            registration_confirmations: 144,
            rotation_confirmations: 6,
        }
    }
}

/// Verifies burn-based identity claims against a [`ChainView`].
///
/// Keeps a small bounded cache of chain walks (keyed by the identity, the tip and the
/// indexed rotation outputs), so advertisements repeating a claim cost no signature checks.
#[derive(Debug)]
pub struct BurnVerifier<C> {
    chain: C,
    config: BurnConfig,
    walks: walk::WalkCache,
}

impl<C: Clone> Clone for BurnVerifier<C> {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            config: self.config,
            walks: walk::WalkCache::default(),
        }
    }
}

impl<C: ChainView> BurnVerifier<C> {
    /// A verifier over `chain`.
    pub fn new(chain: C, config: BurnConfig) -> Self {
        Self {
            chain,
            config,
            walks: walk::WalkCache::default(),
        }
    }

    /// The pushed payload after the LOKAD prefix and the operation byte, if `script` is an
    /// identity burn of that operation.
    fn payload(script: &[u8], op: u8) -> Option<&[u8]> {
        let (&opret, rest) = script.split_first()?;
        let (&push, rest) = rest.split_first()?;
        let (len, data) = if push == OP_PUSHDATA1 {
            let (&len, data) = rest.split_first()?;
            (len, data)
        } else if push <= 75 {
            (push, rest)
        } else {
            return None;
        };
        if opret != OP_RETURN || usize::from(len) != data.len() {
            return None;
        }
        let data = data.strip_prefix(LOKAD_PREFIX.as_slice())?;
        let (&found, payload) = data.split_first()?;
        (found == op).then_some(payload)
    }

    fn matured(&self, out: &ChainOutput, confirmations: u64) -> bool {
        self.chain
            .tip_height()
            .and_then(|tip| tip.checked_sub(out.height))
            .is_some_and(|depth| depth.saturating_add(1) >= confirmations)
    }

    /// The identity ID that `claim` establishes for `key`, when the claim checks out (so the
    /// driver can carry reputation across a rotation: two keys with the same identity ID are
    /// one identity).
    pub fn identity(&self, key: &KeyBytes, claim: &IdentityClaim) -> Option<[u8; 32]> {
        (self.tier(key, Some(claim)) != IdentityTier::Unverified)
            .then(|| identity_id(&claim.registration))
    }

    fn tier_of_burn(&self, value: u64) -> IdentityTier {
        if value >= self.config.institutional_burn {
            IdentityTier::Institutional
        } else if value >= self.config.min_burn {
            IdentityTier::Verified
        } else {
            IdentityTier::Unverified
        }
    }
}

impl<C: ChainView> IdentityVerifier for BurnVerifier<C> {
    fn tier(&self, key: &KeyBytes, claim: Option<&IdentityClaim>) -> IdentityTier {
        let Some(claim) = claim else {
            return IdentityTier::Unverified;
        };
        let Some(reg) = self.chain.output(&claim.registration) else {
            return IdentityTier::Unverified;
        };
        let Some(reg_key) = Self::payload(&reg.script, REGISTER) else {
            return IdentityTier::Unverified;
        };
        if !self.matured(&reg, self.config.registration_confirmations) {
            return IdentityTier::Unverified;
        }
        let Ok(reg_key) = <KeyBytes>::try_from(reg_key) else {
            return IdentityTier::Unverified;
        };
        let id = identity_id(&claim.registration);
        // Only the chain's end key, with a claim naming the chain's last link.
        let owner_ok = self
            .chain_end(&id, reg_key, reg.height, claim.rotation.as_ref())
            .is_some_and(|end| end.key == *key && end.last == claim.rotation);
        if owner_ok {
            self.tier_of_burn(reg.value)
        } else {
            IdentityTier::Unverified
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use musig2_crypto::bip340;
    use std::collections::BTreeMap;

    struct Chain {
        tip: u64,
        outputs: BTreeMap<OutPoint, ChainOutput>,
        rotations: BTreeMap<[u8; 32], Vec<OutPoint>>,
    }

    impl ChainView for Chain {
        fn tip_height(&self) -> Option<u64> {
            Some(self.tip)
        }
        fn output(&self, o: &OutPoint) -> Option<ChainOutput> {
            self.outputs.get(o).cloned()
        }
        fn rotations_of(&self, id: &[u8; 32]) -> Vec<OutPoint> {
            self.rotations.get(id).cloned().unwrap_or_default()
        }
    }

    fn script(op: u8, payload: &[u8]) -> Vec<u8> {
        let data = [LOKAD_PREFIX.as_slice(), &[op], payload].concat();
        let len = u8::try_from(data.len()).unwrap();
        if len > 75 {
            [vec![OP_RETURN, OP_PUSHDATA1, len], data].concat()
        } else {
            [vec![OP_RETURN, len], data].concat()
        }
    }

    fn key_of(sk: &[u8; 32]) -> KeyBytes {
        let x = bip340::xonly_public_key(sk).unwrap();
        let mut k = [2u8; 33];
        k[1..].copy_from_slice(&x);
        k
    }

    fn signed_rotation(sk: &[u8; 32], id: &[u8; 32], new_key: &KeyBytes) -> Vec<u8> {
        let sig = bip340::sign(sk, &rotation_message(id, new_key), &[7; 32]).unwrap();
        script(ROTATE, &[id.as_slice(), new_key, &sig].concat())
    }

    /// Class 6 (issue 13): a rotation needs the current key's signature; an unsigned one or
    /// one signed by another key moves nothing, and a matured rotation revokes the old key.
    #[test]
    fn rotations_are_authorised_and_revoke_the_old_key() {
        let (sk, thief_sk) = ([11u8; 32], [12u8; 32]);
        let (key, new_key, thief) = (key_of(&sk), key_of(&[13u8; 32]), key_of(&thief_sk));
        let reg = OutPoint {
            txid: [1; 32],
            vout: 0,
        };
        let id = identity_id(&reg);
        let point = |n: u8| OutPoint {
            txid: [n; 32],
            vout: 0,
        };
        let mut outputs = BTreeMap::new();
        outputs.insert(
            reg,
            ChainOutput {
                script: script(REGISTER, &key),
                value: 2_000_000,
                height: 100,
            },
        );
        let rot = |s: Vec<u8>| ChainOutput {
            script: s,
            value: 0,
            height: 300,
        };
        outputs.insert(point(2), rot(signed_rotation(&sk, &id, &new_key)));
        outputs.insert(
            point(3),
            rot(script(ROTATE, &[id.as_slice(), &thief].concat())),
        );
        outputs.insert(point(4), rot(signed_rotation(&thief_sk, &id, &thief)));
        let verifier = |tip, rotations: BTreeMap<[u8; 32], Vec<OutPoint>>| {
            BurnVerifier::new(
                Chain {
                    tip,
                    outputs: outputs.clone(),
                    rotations,
                },
                BurnConfig::default(),
            )
        };
        let claim = |r: Option<u8>| IdentityClaim {
            registration: reg,
            rotation: r.map(point),
        };
        let v = verifier(305, BTreeMap::new());
        assert_eq!(
            v.tier(&new_key, Some(&claim(Some(2)))),
            IdentityTier::Verified
        );
        assert_eq!(
            v.tier(&thief, Some(&claim(Some(3)))),
            IdentityTier::Unverified,
            "unsigned"
        );
        assert_eq!(
            v.tier(&thief, Some(&claim(Some(4)))),
            IdentityTier::Unverified,
            "thief"
        );
        assert_eq!(
            v.tier(&thief, Some(&claim(Some(2)))),
            IdentityTier::Unverified,
            "not its key"
        );
        // Revocation: once the signed rotation has matured, the registered key loses the tier.
        let revoked = verifier(305, BTreeMap::from([(id, vec![point(2)])]));
        assert_eq!(
            revoked.tier(&key, Some(&claim(None))),
            IdentityTier::Unverified
        );
        let young = verifier(304, BTreeMap::from([(id, vec![point(2)])]));
        assert_eq!(
            young.tier(&key, Some(&claim(None))),
            IdentityTier::Verified,
            "not matured"
        );
        // A thief's rotation reported by the index does not revoke the owner.
        let framed = verifier(305, BTreeMap::from([(id, vec![point(4)])]));
        assert_eq!(
            framed.tier(&key, Some(&claim(None))),
            IdentityTier::Verified
        );
    }

    #[test]
    fn registration_maturation_rotation_and_tiers() {
        let sk = [21u8; 32];
        let key = key_of(&sk);
        let new_key = [3u8; 33];
        let reg = OutPoint {
            txid: [1; 32],
            vout: 0,
        };
        let rot = OutPoint {
            txid: [2; 32],
            vout: 1,
        };
        let id = identity_id(&reg);
        let mut outputs = BTreeMap::new();
        outputs.insert(
            reg,
            ChainOutput {
                script: script(REGISTER, &key),
                value: 2_000_000,
                height: 100,
            },
        );
        outputs.insert(
            rot,
            ChainOutput {
                script: signed_rotation(&sk, &id, &new_key),
                value: 0,
                height: 300,
            },
        );
        let claim = IdentityClaim {
            registration: reg,
            rotation: None,
        };
        let rotated = IdentityClaim {
            registration: reg,
            rotation: Some(rot),
        };
        let at = |tip| {
            BurnVerifier::new(
                Chain {
                    tip,
                    outputs: outputs.clone(),
                    rotations: BTreeMap::new(),
                },
                BurnConfig::default(),
            )
        };
        assert_eq!(
            at(242).tier(&key, Some(&claim)),
            IdentityTier::Unverified,
            "143 confirmations"
        );
        assert_eq!(
            at(243).tier(&key, Some(&claim)),
            IdentityTier::Verified,
            "144 confirmations"
        );
        assert_eq!(
            at(243).tier(&new_key, Some(&claim)),
            IdentityTier::Unverified,
            "wrong key"
        );
        assert_eq!(at(243).tier(&key, None), IdentityTier::Unverified);
        assert_eq!(
            at(304).tier(&new_key, Some(&rotated)),
            IdentityTier::Unverified,
            "5 confirmations"
        );
        assert_eq!(
            at(305).tier(&new_key, Some(&rotated)),
            IdentityTier::Verified,
            "6 confirmations"
        );
        assert_eq!(
            at(305).tier(&key, Some(&rotated)),
            IdentityTier::Unverified,
            "old key rotated away"
        );
        let mut rich = outputs.clone();
        rich.get_mut(&reg).unwrap().value = 100_000_000;
        let v = BurnVerifier::new(
            Chain {
                tip: 500,
                outputs: rich,
                rotations: BTreeMap::new(),
            },
            BurnConfig::default(),
        );
        assert_eq!(v.tier(&key, Some(&claim)), IdentityTier::Institutional);
        let mut bad = outputs;
        bad.get_mut(&reg).unwrap().script[2] = b'X';
        let v = BurnVerifier::new(
            Chain {
                tip: 500,
                outputs: bad,
                rotations: BTreeMap::new(),
            },
            BurnConfig::default(),
        );
        assert_eq!(
            v.tier(&key, Some(&claim)),
            IdentityTier::Unverified,
            "no LOKAD prefix"
        );
        assert_ne!(identity_id(&reg), identity_id(&rot));
    }
}
