//! Lotus Taproot with a MuSig2 internal key (spec 4): the tweak `t`, the output key
//! `Q' = P + t·G` and the pay-to-Taproot script.
//!
//! Unlike BIP-341 the internal key is hashed as its 33-byte encoding, a key-path-only output
//! uses 32 zero bytes as the Merkle root, and Q' is a full point with no parity
//! normalization. In a MuSig2 session the tweak is not folded into key aggregation: signer
//! index 0 adds `e·t` to its partial signature ([`SessionContext`](super::SessionContext)).

use k256::elliptic_curve::ops::MulByGenerator;
use k256::ProjectivePoint;

use crate::error::Error;
use crate::hash::tagged_hash;

use super::encoding::{parse33, reduce, scalar_bytes, ser33_checked};
use super::key_agg::{KeyAggContext, TaprootTweak};

const TAG_TAPTWEAK: &str = "TapTweak";

/// OP_SCRIPTTYPE.
const OP_SCRIPTTYPE: u8 = 0x62;
/// OP_1, the Taproot script type.
const OP_1: u8 = 0x51;
/// Push of the next 33 bytes.
const PUSH_33: u8 = 0x21;
/// Push of the next 32 bytes.
const PUSH_32: u8 = 0x20;

/// Length of `OP_SCRIPTTYPE OP_1 <33-byte Q'>`.
pub const TAPROOT_SCRIPT_LEN: usize = 36;
/// Length of the same script followed by a 32-byte state push.
pub const TAPROOT_STATE_SCRIPT_LEN: usize = 69;

/// The Taproot tweak `t = tagged("TapTweak", ser33(P) ‖ root)` as the raw 32-byte hash
/// (spec 4 step 3). `None` means key-path only and is hashed as 32 zero bytes.
///
/// Only the hash is computed; the key is not parsed. Reduce mod n before use (the functions of
/// this module do so).
pub fn taproot_tweak(internal_pubkey: &[u8; 33], merkle_root: Option<&[u8; 32]>) -> [u8; 32] {
    tagged_hash(
        TAG_TAPTWEAK,
        &[internal_pubkey, merkle_root.unwrap_or(&[0u8; 32])],
    )
}

/// The output key `Q' = P + t·G` for an internal key and an optional Merkle root.
///
/// # Errors
/// [`Error::InvalidPublicKey`] when `internal_pubkey` is not a valid 33-byte point, and
/// [`Error::TweakInfinity`] if Q' is the point at infinity.
pub fn taproot_output_key(
    internal_pubkey: &[u8],
    merkle_root: Option<&[u8; 32]>,
) -> Result<[u8; 33], Error> {
    let point = parse33(internal_pubkey).ok_or(Error::InvalidPublicKey)?;
    let bytes: &[u8; 33] = internal_pubkey
        .try_into()
        .map_err(|_| Error::InvalidPublicKey)?;
    Ok(tweak(&point, bytes, merkle_root)?.output_key_bytes)
}

/// The output script `62 51 21 ‖ ser33(Q')`: OP_SCRIPTTYPE, OP_1, push 33 (spec 4 step 4).
pub fn taproot_script_pubkey(output_key: &[u8; 33]) -> [u8; TAPROOT_SCRIPT_LEN] {
    let mut out = [0u8; TAPROOT_SCRIPT_LEN];
    let (head, key) = out.split_at_mut(3);
    head.copy_from_slice(&[OP_SCRIPTTYPE, OP_1, PUSH_33]);
    key.copy_from_slice(output_key);
    out
}

/// The output script with a 32-byte state: `62 51 21 ‖ ser33(Q') ‖ 20 ‖ state`.
pub fn taproot_script_pubkey_with_state(
    output_key: &[u8; 33],
    state: &[u8; 32],
) -> [u8; TAPROOT_STATE_SCRIPT_LEN] {
    let mut out = [0u8; TAPROOT_STATE_SCRIPT_LEN];
    let (script, rest) = out.split_at_mut(TAPROOT_SCRIPT_LEN);
    script.copy_from_slice(&taproot_script_pubkey(output_key));
    let (push, state_out) = rest.split_at_mut(1);
    push.copy_from_slice(&[PUSH_32]);
    state_out.copy_from_slice(state);
    out
}

fn tweak(
    internal: &ProjectivePoint,
    internal_bytes: &[u8; 33],
    merkle_root: Option<&[u8; 32]>,
) -> Result<TaprootTweak, Error> {
    let t = reduce(&taproot_tweak(internal_bytes, merkle_root));
    let output_key = *internal + ProjectivePoint::mul_by_generator(&t);
    let output_key_bytes = ser33_checked(&output_key).ok_or(Error::TweakInfinity)?;
    Ok(TaprootTweak {
        merkle_root: *merkle_root.unwrap_or(&[0u8; 32]),
        tweak: t,
        output_key_bytes,
    })
}

impl KeyAggContext {
    /// Turns the context into a Lotus Taproot key-path context (spec 4): the aggregate key
    /// becomes the internal key P, [`KeyAggContext::aggregate_pubkey`] returns the output key
    /// Q', sessions hash Q', and signer index 0 adds `e·t`. `None` means no script tree
    /// (32 zero bytes are hashed). Replaces any earlier Taproot tweak.
    ///
    /// # Errors
    /// [`Error::TweakInfinity`] if Q' is the point at infinity.
    pub fn with_taproot(mut self, merkle_root: Option<&[u8; 32]>) -> Result<Self, Error> {
        self.taproot = Some(tweak(
            &self.internal_key,
            &self.internal_key_bytes,
            merkle_root,
        )?);
        Ok(self)
    }

    /// The Taproot tweak t (reduced mod n), or `None` without Taproot.
    pub fn taproot_tweak(&self) -> Option<[u8; 32]> {
        self.taproot.as_ref().map(|t| scalar_bytes(&t.tweak))
    }

    /// The 32 bytes hashed into the tweak (the Merkle root, or zeros for key-path only), or
    /// `None` without Taproot.
    pub fn taproot_merkle_root(&self) -> Option<[u8; 32]> {
        self.taproot.as_ref().map(|t| t.merkle_root)
    }

    /// The 36-byte output script for this context's signing key: `62 51 21 ‖ ser33(Q')`
    /// (or of Q without Taproot).
    pub fn script_pubkey(&self) -> [u8; TAPROOT_SCRIPT_LEN] {
        taproot_script_pubkey(&self.aggregate_pubkey())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn scripts_have_the_documented_layout() {
        let key = [3u8; 33];
        let s = taproot_script_pubkey(&key);
        assert_eq!(&s[..3], &[0x62, 0x51, 0x21]);
        assert_eq!(&s[3..], &key);
        let st = taproot_script_pubkey_with_state(&key, &[9; 32]);
        assert_eq!(&st[..36], &s);
        assert_eq!(st[36], 0x20);
        assert_eq!(&st[37..], &[9; 32]);
    }

    #[test]
    fn absent_root_is_32_zero_bytes() {
        let key = [2u8; 33];
        assert_eq!(
            taproot_tweak(&key, None),
            taproot_tweak(&key, Some(&[0; 32]))
        );
        assert_ne!(
            taproot_tweak(&key, None),
            taproot_tweak(&key, Some(&[1; 32]))
        );
        assert_eq!(
            taproot_output_key(&key[..32], None),
            Err(Error::InvalidPublicKey)
        );
    }
}
