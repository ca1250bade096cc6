//! SHA-256 helpers shared by both schemes.

use sha2::{Digest, Sha256};

/// BIP-340 tagged hash: `SHA256(SHA256(tag) ‖ SHA256(tag) ‖ parts…)`.
///
/// The Lotus scheme uses the same construction with its own tags.
pub fn tagged_hash(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let tag_hash = Sha256::digest(tag.as_bytes());
    let mut h = Sha256::new();
    h.update(tag_hash);
    h.update(tag_hash);
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
    }
}
