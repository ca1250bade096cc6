//! Deterministic coordinator election and failover order (protocol.md §5.2).
//!
//! Every node computes the same order from the announcement alone, with no messages.

use musig2_crypto::hash::tagged_hash;

use crate::error::DecodeError;
use crate::wire::KeyBytes;

/// Domain-separation tag of the hash-based election.
pub const ELECTION_TAG: &str = "musig2-p2p/v1/election";

/// How the coordinator and its backups are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum ElectionMethod {
    /// Keys sorted ascending by their 33 bytes (default).
    #[default]
    Lexicographic = 0,
    /// Keys sorted by `tagged_hash("musig2-p2p/v1/election", session_id ‖ key)`, ties by key.
    HashBased = 1,
    /// The announced order.
    FirstSigner = 2,
    /// The announced order, reversed.
    LastSigner = 3,
}

impl ElectionMethod {
    /// Wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Parses a wire code.
    ///
    /// # Errors
    /// [`DecodeError::InvalidCode`] for codes above 3.
    pub fn from_code(code: u8) -> Result<Self, DecodeError> {
        Ok(match code {
            0 => Self::Lexicographic,
            1 => Self::HashBased,
            2 => Self::FirstSigner,
            3 => Self::LastSigner,
            other => {
                return Err(DecodeError::InvalidCode {
                    field: "election",
                    code: other,
                })
            }
        })
    }

    /// Whether the order depends on the announced signer order (first/last signer).
    pub fn depends_on_announced_order(self) -> bool {
        matches!(self, Self::FirstSigner | Self::LastSigner)
    }
}

/// The full failover order: `order[0]` coordinates, `order[i]` takes over after `i` failures.
///
/// `signers` is the announced list. For [`ElectionMethod::Lexicographic`] and
/// [`ElectionMethod::HashBased`] the result does not depend on its order.
pub fn failover_order(
    method: ElectionMethod,
    session_id: &[u8; 32],
    signers: &[KeyBytes],
) -> Vec<KeyBytes> {
    let mut order = signers.to_vec();
    match method {
        ElectionMethod::Lexicographic => order.sort_unstable(),
        ElectionMethod::HashBased => {
            order.sort_unstable_by_key(|k| (tagged_hash(ELECTION_TAG, &[session_id, k]), *k));
        }
        ElectionMethod::FirstSigner => {}
        ElectionMethod::LastSigner => order.reverse(),
    }
    order
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(seed: &[u8]) -> Vec<KeyBytes> {
        let mut v: Vec<KeyBytes> = seed
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let mut k = [0u8; 33];
                k[0] = 2;
                k[1] = *b;
                k[2] = i as u8;
                k
            })
            .collect();
        v.dedup();
        v
    }

    proptest! {
        #[test]
        fn order_is_a_permutation_and_input_order_independent(
            seed in proptest::collection::vec(any::<u8>(), 1..20),
            sid in any::<[u8; 32]>(),
            rot in any::<usize>(),
            method in 0u8..4,
        ) {
            let method = ElectionMethod::from_code(method).unwrap();
            let signers = keys(&seed);
            let order = failover_order(method, &sid, &signers);
            let mut a = order.clone();
            a.sort_unstable();
            let mut b = signers.clone();
            b.sort_unstable();
            prop_assert_eq!(a, b);
            let mut shuffled = signers.clone();
            shuffled.rotate_left(rot % signers.len());
            shuffled.reverse();
            let again = failover_order(method, &sid, &shuffled);
            if method.depends_on_announced_order() {
                prop_assert_eq!(failover_order(method, &sid, &signers), order);
            } else {
                prop_assert_eq!(again, order);
            }
        }
    }

    #[test]
    fn methods_follow_their_definitions() {
        let signers = keys(&[9, 3, 7]);
        let sid = [1u8; 32];
        let lex = failover_order(ElectionMethod::Lexicographic, &sid, &signers);
        assert!(lex.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            failover_order(ElectionMethod::FirstSigner, &sid, &signers),
            signers
        );
        let mut rev = signers.clone();
        rev.reverse();
        assert_eq!(
            failover_order(ElectionMethod::LastSigner, &sid, &signers),
            rev
        );
        let hashed = failover_order(ElectionMethod::HashBased, &sid, &signers);
        let h: Vec<_> = hashed
            .iter()
            .map(|k| tagged_hash(ELECTION_TAG, &[&sid, k]))
            .collect();
        assert!(h.windows(2).all(|w| w[0] <= w[1]));
        assert_ne!(
            failover_order(
                ElectionMethod::HashBased,
                &[2u8; 32],
                &keys(&[1, 2, 3, 4, 5, 6])
            ),
            failover_order(
                ElectionMethod::HashBased,
                &[3u8; 32],
                &keys(&[1, 2, 3, 4, 5, 6])
            )
        );
    }
}
