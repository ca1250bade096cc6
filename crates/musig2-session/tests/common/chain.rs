//! A fake chain for the burn-identity tests (protocol.md §7.5): registration and rotation
//! outputs, a tip that can advance, and the index of each identity's rotation outputs. Shared
//! (`Clone` is a handle), so a test keeps changing the chain a machine's verifier reads.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use musig2_crypto::bip340;
use musig2_session::identity::{
    identity_id, rotation_message, BurnConfig, BurnVerifier, ChainOutput, ChainView, LOKAD_PREFIX,
};
use musig2_session::wire::{IdentityClaim, KeyBytes, OutPoint};

/// A registration burn above the verified threshold (1,000,000), below the institutional one.
pub const BURN: u64 = 2_000_000;

#[derive(Debug, Default)]
struct State {
    tip: u64,
    outputs: BTreeMap<OutPoint, ChainOutput>,
    rotations: BTreeMap<[u8; 32], Vec<OutPoint>>,
    next: u32,
    lookups: u64,
}

/// A chain whose state the test controls; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct FakeChain(Arc<Mutex<State>>);

/// `OP_RETURN push("LTMS" ‖ op ‖ payload)`, with `OP_PUSHDATA1` above 75 bytes.
pub fn burn_script(op: u8, payload: &[u8]) -> Vec<u8> {
    let data = [LOKAD_PREFIX.as_slice(), &[op], payload].concat();
    let len = u8::try_from(data.len()).unwrap();
    if len > 75 {
        [vec![0x6a, 0x4c, len], data].concat()
    } else {
        [vec![0x6a, len], data].concat()
    }
}

/// The rotation payload by which `signer` moves identity `id` to `new_key`.
pub fn rotation_script(signer: &[u8; 32], id: &[u8; 32], new_key: &KeyBytes) -> Vec<u8> {
    let sig = bip340::sign(signer, &rotation_message(id, new_key), &[7; 32]).unwrap();
    burn_script(0x02, &[id.as_slice(), new_key, &sig].concat())
}

impl FakeChain {
    /// An empty chain with its tip at `tip`.
    pub fn at(tip: u64) -> Self {
        let chain = Self::default();
        chain.set_tip(tip);
        chain
    }

    /// How many outputs the verifier looked up so far.
    pub fn lookups(&self) -> u64 {
        self.0.lock().unwrap().lookups
    }

    /// Moves the tip.
    pub fn set_tip(&self, tip: u64) {
        self.0.lock().unwrap().tip = tip;
    }

    /// A burn verifier with the default thresholds over this chain.
    pub fn verifier(&self) -> BurnVerifier<FakeChain> {
        BurnVerifier::new(self.clone(), BurnConfig::default())
    }

    /// Confirms an output with `script` at `height`; `indexed` adds it to the rotation index
    /// of identity `id`.
    pub fn confirm(
        &self,
        script: Vec<u8>,
        value: u64,
        height: u64,
        indexed: Option<[u8; 32]>,
    ) -> OutPoint {
        let mut s = self.0.lock().unwrap();
        s.next += 1;
        let point = OutPoint {
            txid: [u8::try_from(s.next % 251).unwrap(); 32],
            vout: s.next,
        };
        s.outputs.insert(
            point,
            ChainOutput {
                script,
                value,
                height,
            },
        );
        if let Some(id) = indexed {
            s.rotations.entry(id).or_default().push(point);
        }
        point
    }

    /// Registers `key` with a burn of [`BURN`] at `height`; the claim of the registered key.
    pub fn register(&self, key: &KeyBytes, height: u64) -> IdentityClaim {
        IdentityClaim {
            registration: self.confirm(burn_script(0x01, key), BURN, height, None),
            rotation: None,
        }
    }

    /// Confirms (and indexes) a rotation of `claim`'s identity to `new_key` signed by
    /// `signer` at `height`; the claim naming it.
    pub fn rotate(
        &self,
        claim: &IdentityClaim,
        signer: &[u8; 32],
        new_key: &KeyBytes,
        height: u64,
    ) -> IdentityClaim {
        let id = identity_id(&claim.registration);
        let script = rotation_script(signer, &id, new_key);
        IdentityClaim {
            registration: claim.registration,
            rotation: Some(self.confirm(script, 0, height, Some(id))),
        }
    }
}

impl ChainView for FakeChain {
    fn tip_height(&self) -> Option<u64> {
        Some(self.0.lock().unwrap().tip)
    }

    fn output(&self, outpoint: &OutPoint) -> Option<ChainOutput> {
        let mut s = self.0.lock().unwrap();
        s.lookups += 1;
        s.outputs.get(outpoint).cloned()
    }

    fn rotations_of(&self, id: &[u8; 32]) -> Vec<OutPoint> {
        self.0
            .lock()
            .unwrap()
            .rotations
            .get(id)
            .cloned()
            .unwrap_or_default()
    }
}
