//! Transport peer identity and a small bounded map used by every per-peer table.

use std::collections::BTreeMap;

/// The transport-level identity of a remote peer (the libp2p peer ID bytes). Opaque here.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub Vec<u8>);

impl PeerId {
    /// Wraps peer ID bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }
}

/// A `BTreeMap` with a capacity. When full, inserting a new key first evicts the entry the
/// caller's `evictable` ranks lowest (`None` = must not be evicted); if nothing may be evicted,
/// the new key is not stored.
#[derive(Clone, Debug)]
pub(crate) struct BoundedMap<K, V> {
    map: BTreeMap<K, V>,
    cap: usize,
}

impl<K: Ord + Clone, V> BoundedMap<K, V> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: BTreeMap::new(),
            cap,
        }
    }

    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }

    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.map.len() >= self.cap
    }

    pub(crate) fn retain(&mut self, f: impl FnMut(&K, &mut V) -> bool) {
        self.map.retain(f);
    }

    /// The entry for `k`, created with `init` if absent and there is room (after eviction).
    pub(crate) fn entry_or_insert<R: Ord>(
        &mut self,
        k: &K,
        init: impl FnOnce() -> V,
        evict_rank: impl Fn(&V) -> Option<R>,
    ) -> Option<&mut V> {
        if !self.map.contains_key(k) {
            if self.map.len() >= self.cap {
                let victim = self
                    .map
                    .iter()
                    .filter_map(|(key, v)| evict_rank(v).map(|r| (r, key.clone())))
                    .min_by(|a, b| a.0.cmp(&b.0))
                    .map(|(_, key)| key);
                match victim {
                    Some(v) => {
                        self.map.remove(&v);
                    }
                    None => return None,
                }
            }
            self.map.insert(k.clone(), init());
        }
        self.map.get_mut(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_lowest_rank_and_respects_pins() {
        let mut m: BoundedMap<u8, u32> = BoundedMap::new(2);
        let rank = |v: &u32| if *v == 0 { None } else { Some(*v) };
        m.entry_or_insert(&1, || 5, rank);
        m.entry_or_insert(&2, || 3, rank);
        m.entry_or_insert(&3, || 9, rank);
        assert_eq!(m.len(), 2);
        assert!(m.get(&2).is_none());
        let mut pinned: BoundedMap<u8, u32> = BoundedMap::new(1);
        pinned.entry_or_insert(&1, || 0, rank);
        assert!(pinned.entry_or_insert(&2, || 1, rank).is_none());
        assert_eq!(pinned.get(&1), Some(&0));
    }
}
