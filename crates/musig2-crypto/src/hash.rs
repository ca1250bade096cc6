//! SHA-256 helpers shared by both schemes.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// The tags of the hashes computed per key, per nonce or per signature, whose prefix
/// `SHA256(tag) ‖ SHA256(tag)` (one 64-byte block) is hashed once and then reused.
const CACHED_TAGS: [&str; 10] = [
    "KeyAgg list",
    "KeyAgg coefficient",
    "MuSig/aux",
    "MuSig/nonce",
    "MuSig/noncecoef",
    "MuSig/deterministic/nonce",
    "BIP0340/aux",
    "BIP0340/nonce",
    "BIP0340/challenge",
    "TapTweak",
];

/// The hash state after the prefix block of each of [`CACHED_TAGS`], computed on first use.
static PREFIX_STATES: [OnceLock<Sha256>; CACHED_TAGS.len()] =
    [const { OnceLock::new() }; CACHED_TAGS.len()];

/// A SHA-256 state that has absorbed `SHA256(tag) ‖ SHA256(tag)`.
fn prefixed(tag: &str) -> Sha256 {
    let fresh = || {
        let tag_hash = Sha256::digest(tag.as_bytes());
        let mut h = Sha256::new();
        h.update(tag_hash);
        h.update(tag_hash);
        h
    };
    match CACHED_TAGS
        .iter()
        .position(|t| *t == tag)
        .and_then(|i| PREFIX_STATES.get(i))
    {
        Some(state) => state.get_or_init(fresh).clone(),
        None => fresh(),
    }
}

/// BIP-340 tagged hash: `SHA256(SHA256(tag) ‖ SHA256(tag) ‖ parts…)`.
///
/// The Lotus scheme uses the same construction with its own tags. For the tags the crate
/// uses on every key, nonce and signature the prefix block is hashed only once per process
/// (it saves two of the four SHA-256 compressions of a KeyAgg coefficient).
pub fn tagged_hash(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut h = prefixed(tag);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Plain (untagged) SHA-256 of the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_hash_matches_manual_construction() {
        let t = Sha256::digest(b"TapTweak");
        let mut manual = Vec::new();
        manual.extend_from_slice(&t);
        manual.extend_from_slice(&t);
        manual.extend_from_slice(b"abc");
        let expected: [u8; 32] = Sha256::digest(&manual).into();
        assert_eq!(tagged_hash("TapTweak", &[b"a", b"bc"]), expected);
        assert_ne!(tagged_hash("TapTweak", &[b"abc"]), sha256(&[b"abc"]));
        // Cached and uncached tags give the construction's result, on first and later use.
        for tag in CACHED_TAGS.iter().chain(&["an uncached tag"]) {
            let t = Sha256::digest(tag.as_bytes());
            let expected: [u8; 32] = Sha256::new()
                .chain_update(t)
                .chain_update(t)
                .chain_update(b"xyz")
                .finalize()
                .into();
            assert_eq!(tagged_hash(tag, &[b"x", b"yz"]), expected, "{tag}");
            assert_eq!(tagged_hash(tag, &[b"xyz"]), expected, "{tag}");
        }
    }
}
