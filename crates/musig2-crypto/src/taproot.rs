//! [BIP-341](https://github.com/bitcoin/bips/blob/master/bip-0341.mediawiki) Taproot key-path
//! tweak for a MuSig2 aggregate key.
//!
//! The output key of a Taproot output with internal key `P` (x-only) and optional script tree
//! root `m` is `Q = lift_x(P) + t⋅G` with `t = hash_TapTweak(P ‖ m)`, or
//! `t = hash_TapTweak(P)` for a key-path-only output. For MuSig2 this is an x-only tweak of
//! the aggregate key ([BIP-327 "Tweaking"](https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#tweaking)),
//! after which the group's BIP-340 signature spends the output through its key path.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use k256::elliptic_curve::ops::MulByGenerator;
use k256::ProjectivePoint;

use crate::bip327::{KeyAggContext, Tweak};
use crate::curve;
use crate::error::Error;
use crate::hash::tagged_hash;

/// The Taproot tweak `hash_TapTweak(internal_key ‖ merkle_root)`, or
/// `hash_TapTweak(internal_key)` when there is no script tree
/// ([BIP-341 `taproot_tweak_pubkey`](https://github.com/bitcoin/bips/blob/master/bip-0341.mediawiki#constructing-and-spending-taproot-outputs)).
pub fn tap_tweak(internal_key: &[u8; 32], merkle_root: Option<&[u8; 32]>) -> [u8; 32] {
    match merkle_root {
        Some(root) => tagged_hash("TapTweak", &[internal_key, root]),
        None => tagged_hash("TapTweak", &[internal_key]),
    }
}

/// Tweaks the aggregate key of `ctx` into the Taproot output key for the script tree root
/// `merkle_root` (`None` for a key-path-only output): the x-only tweak
/// [`tap_tweak`]`(ctx.xonly_public_key(), merkle_root)`.
///
/// Apply it last: the output key is then [`KeyAggContext::xonly_public_key`].
///
/// # Errors
/// [`Error::TweakOutOfRange`] or [`Error::TweakInfinity`] (both with negligible probability);
/// `ctx` is unchanged on error.
pub fn apply_taproot_tweak(
    ctx: &mut KeyAggContext,
    merkle_root: Option<&[u8; 32]>,
) -> Result<(), Error> {
    let tweak = tap_tweak(&ctx.xonly_public_key(), merkle_root);
    ctx.apply_tweak(Tweak::xonly(tweak))
}

/// BIP-341 `taproot_tweak_pubkey` for any x-only internal key: the 32-byte output key and
/// whether its y coordinate is odd (the control block's parity bit).
///
/// # Errors
/// - [`Error::InvalidPublicKey`] when `internal_key` is not a valid x coordinate.
/// - [`Error::TweakOutOfRange`] or [`Error::TweakInfinity`] (negligible probability).
pub fn taproot_output_key(
    internal_key: &[u8; 32],
    merkle_root: Option<&[u8; 32]>,
) -> Result<([u8; 32], bool), Error> {
    let p = curve::lift_x(internal_key).ok_or(Error::InvalidPublicKey)?;
    let t = curve::scalar_from_bytes(&tap_tweak(internal_key, merkle_root))
        .ok_or(Error::TweakOutOfRange)?;
    let q = ProjectivePoint::mul_by_generator(&t) + p;
    if curve::is_identity(&q) {
        return Err(Error::TweakInfinity);
    }
    let q = q.to_affine();
    Ok((curve::xbytes(&q), !curve::has_even_y(&q)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn h32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// Key-path vectors from BIP-341's `wallet-test-vectors.json` ("scriptPubKey" section).
    #[test]
    fn matches_bip341_wallet_vectors() {
        let cases = [
            (
                "d6889cb081036e0faefa3a35157ad71086b123b2b144b649798b494c300a961d",
                None,
                "b86e7be8f39bab32a6f2c0443abbc210f0edac0e2c53d501b36b64437d9c6c70",
                "53a1f6e454df1aa2776a2814a721372d6258050de330b3c6d10ee8f4e0dda343",
            ),
            (
                "187791b6f712a8ea41c8ecdd0ee77fab3e85263b37e1ec18a3651926b3a6cf27",
                Some("5b75adecf53548f3ec6ad7d78383bf84cc57b55a3127c72b9a2481752dd88b21"),
                "cbd8679ba636c1110ea247542cfbd964131a6be84f873f7f3b62a777528ed001",
                "147c9c57132f6e7ecddba9800bb0c4449251c92a1e60371ee77557b6620f3ea3",
            ),
        ];
        for (internal, root, tweak, output) in cases {
            let internal = h32(internal);
            let root = root.map(h32);
            assert_eq!(tap_tweak(&internal, root.as_ref()), h32(tweak));
            assert_eq!(
                taproot_output_key(&internal, root.as_ref()).unwrap().0,
                h32(output)
            );
        }
    }

    #[test]
    fn context_tweak_matches_direct_computation() {
        let pks = [
            crate::bip327::individual_pk(&[5u8; 32]).unwrap(),
            crate::bip327::individual_pk(&[6u8; 32]).unwrap(),
        ];
        let root = [9u8; 32];
        for merkle_root in [None, Some(&root)] {
            let mut ctx = KeyAggContext::new(&pks).unwrap();
            let internal = ctx.xonly_public_key();
            apply_taproot_tweak(&mut ctx, merkle_root).unwrap();
            let (output, odd) = taproot_output_key(&internal, merkle_root).unwrap();
            assert_eq!(ctx.xonly_public_key(), output);
            assert_eq!(ctx.plain_public_key()[0] == 0x03, odd);
        }
        assert_eq!(
            taproot_output_key(&[0u8; 32], None),
            Err(Error::InvalidPublicKey)
        );
    }
}
