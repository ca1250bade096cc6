//! The burn-based identity verifier (protocol.md §7.5).
//!
//! An identity is anchored to an unspendable output `OP_RETURN push("LTMS" ‖ 0x01 ‖ key33)`
//! that burns coins. Its ID is `tagged_hash("musig2-p2p/v1/identity", txid ‖ vout_be32)`.
//! Registration counts after 144 confirmations. A rotation output
//! `OP_RETURN push("LTMS" ‖ 0x02 ‖ identity_id ‖ new_key33)` moves the identity to a new key
//! after 6 confirmations. Chain look-ups come from the application through [`ChainView`].

use musig2_crypto::hash::tagged_hash;

use super::{IdentityTier, IdentityVerifier};
use crate::wire::{IdentityClaim, KeyBytes, OutPoint};

/// LOKAD prefix of identity burn outputs.
pub const LOKAD_PREFIX: &[u8; 4] = b"LTMS";
const OP_RETURN: u8 = 0x6a;
const REGISTER: u8 = 0x01;
const ROTATE: u8 = 0x02;

/// Domain-separation tag of identity IDs.
pub const IDENTITY_TAG: &str = "musig2-p2p/v1/identity";

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
#[derive(Clone, Debug)]
pub struct BurnVerifier<C> {
    chain: C,
    config: BurnConfig,
}

impl<C: ChainView> BurnVerifier<C> {
    /// A verifier over `chain`.
    pub fn new(chain: C, config: BurnConfig) -> Self {
        Self { chain, config }
    }

    /// The pushed payload after the LOKAD prefix and the operation byte, if `script` is an
    /// identity burn of that operation.
    fn payload(script: &[u8], op: u8) -> Option<&[u8]> {
        let (&opret, rest) = script.split_first()?;
        let (&push, data) = rest.split_first()?;
        if opret != OP_RETURN || usize::from(push) != data.len() || push > 75 {
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
        let owner_ok = match &claim.rotation {
            None => reg_key == key.as_slice(),
            Some(rot_point) => {
                let id = identity_id(&claim.registration);
                self.chain.output(rot_point).is_some_and(|rot| {
                    let expected = [id.as_slice(), key.as_slice()].concat();
                    Self::payload(&rot.script, ROTATE) == Some(expected.as_slice())
                        && rot.height >= reg.height
                        && self.matured(&rot, self.config.rotation_confirmations)
                })
            }
        };
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
    use std::collections::BTreeMap;

    struct Chain {
        tip: u64,
        outputs: BTreeMap<OutPoint, ChainOutput>,
    }

    impl ChainView for Chain {
        fn tip_height(&self) -> Option<u64> {
            Some(self.tip)
        }
        fn output(&self, o: &OutPoint) -> Option<ChainOutput> {
            self.outputs.get(o).cloned()
        }
    }

    fn script(op: u8, payload: &[u8]) -> Vec<u8> {
        let data = [LOKAD_PREFIX.as_slice(), &[op], payload].concat();
        [vec![OP_RETURN, u8::try_from(data.len()).unwrap()], data].concat()
    }

    #[test]
    fn registration_maturation_rotation_and_tiers() {
        let key = [2u8; 33];
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
                script: script(ROTATE, &[id.as_slice(), &new_key].concat()),
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
