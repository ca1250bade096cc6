//! The federation's shape, drawn from a seed: which relays each relay is told about, which
//! relays each wallet uses, and which relays are killed.

/// SplitMix64: a small seeded generator, so that one seed always draws the same federation.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `k` distinct numbers below `n`, drawn from those `allowed` accepts.
    pub fn distinct(&mut self, n: usize, k: usize, allowed: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..n).filter(|&i| allowed(i)).collect();
        let mut out = Vec::new();
        while out.len() < k && !pool.is_empty() {
            out.push(pool.swap_remove(self.below(pool.len())));
        }
        out
    }
}

/// For each relay, the earlier relays it is told about (`--peer`): one or two, so the graph
/// is sparse, connected, and random.
pub fn relay_graph(rng: &mut Rng, relays: usize) -> Vec<Vec<usize>> {
    (0..relays)
        .map(|i| match i {
            0 => Vec::new(),
            1 => vec![0],
            _ => {
                let k = 1 + rng.below(2);
                rng.distinct(i, k, |_| true)
            }
        })
        .collect()
}

/// How the signers of a group are placed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    /// Each signer on one or two random relays, no relay shared within the group.
    Cross,
    /// The three signers share the same one or two random relays (the baseline).
    Same,
}

/// For each group, the relays of each of its three wallets.
pub fn wallet_relays(
    rng: &mut Rng,
    layout: Layout,
    relays: usize,
    groups: usize,
) -> Vec<[Vec<usize>; 3]> {
    (0..groups)
        .map(|_| match layout {
            Layout::Same => {
                let k = 1 + rng.below(2);
                let set = rng.distinct(relays, k, |_| true);
                [set.clone(), set.clone(), set]
            }
            Layout::Cross => {
                let mut used: Vec<usize> = Vec::new();
                let mut sets: [Vec<usize>; 3] = Default::default();
                for set in &mut sets {
                    let k = 1 + rng.below(2);
                    *set = rng.distinct(relays, k, |r| !used.contains(&r));
                    if set.is_empty() {
                        // Fewer relays than the group needs apart: share one.
                        *set = rng.distinct(relays, 1, |_| true);
                    }
                    used.extend(set.iter().copied());
                }
                sets
            }
        })
        .collect()
}
