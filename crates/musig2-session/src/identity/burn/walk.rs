//! Following an identity's rotation chain (protocol.md §7.5).
//!
//! The walk starts at the registered key and takes the indexed rotation outputs
//! ([`ChainView::rotations_of`]) by height (ties in the view's order): a candidate becomes
//! the next link when it is a matured rotation of the identity, no lower than the previous
//! link, signed by the key current at that point. The claim's own rotation, when the index
//! does not list it, can then only extend the chain at its end (so a chain view without an
//! index still verifies a single rotation). Bounded: more than [`MAX_ROTATION_OUTPUTS`]
//! indexed candidates or more than [`MAX_ROTATION_LINKS`] links end the walk with no result.
//!
//! Walks over the index are cached ([`CACHE_SIZE`] entries, the oldest forgotten first),
//! keyed by a hash of the identity, its registration, the tip and the indexed candidates: a
//! repeated claim costs no signature check, and a claim naming an arbitrary rotation of its
//! own still reuses the cached walk (at most one more check).

use std::sync::Mutex;

use musig2_crypto::bip340;
use musig2_crypto::hash::sha256;

use super::{
    rotation_message, BurnVerifier, ChainView, MAX_ROTATION_LINKS, MAX_ROTATION_OUTPUTS, ROTATE,
};
use crate::peer::BoundedMap;
use crate::wire::{KeyBytes, OutPoint};

/// Cached walks over the index.
const CACHE_SIZE: usize = 256;

/// A rotation output of an identity, parsed (its signature not yet checked).
struct Link {
    point: OutPoint,
    height: u64,
    new_key: KeyBytes,
    sig: [u8; 64],
}

/// Where a walk has got to: the current key, the last link and its height, links taken.
#[derive(Clone, Copy, Debug)]
pub(super) struct End {
    pub(super) key: KeyBytes,
    pub(super) last: Option<OutPoint>,
    height: u64,
    links: usize,
}

/// Walks over the index by the hash of their inputs (`None`: a bound was exceeded), with the
/// insertion clock that picks the oldest to forget.
#[derive(Debug)]
pub(super) struct WalkCache(Mutex<(Walks, u64)>);

/// Input hash -> (result, insertion stamp).
type Walks = BoundedMap<[u8; 32], (Option<End>, u64)>;

impl Default for WalkCache {
    fn default() -> Self {
        Self(Mutex::new((BoundedMap::new(CACHE_SIZE), 0)))
    }
}

impl WalkCache {
    fn get(&self, k: &[u8; 32]) -> Option<Option<End>> {
        let guard = self.0.lock().ok()?;
        guard.0.get(k).map(|(end, _)| *end)
    }

    fn put(&self, k: [u8; 32], end: Option<End>) {
        if let Ok(mut guard) = self.0.lock() {
            let (map, clock) = &mut *guard;
            *clock = clock.saturating_add(1);
            let stamp = *clock;
            if let Some(slot) = map.entry_or_insert(&k, || (end, stamp), |(_, t)| Some(*t)) {
                *slot = (end, stamp);
            }
        }
    }
}

impl End {
    /// Takes `link` as the next link when it is no lower than the last one and signed by the
    /// current key of identity `id`. `false` when that exceeds [`MAX_ROTATION_LINKS`].
    fn take(&mut self, link: Link, id: &[u8; 32]) -> bool {
        if link.height < self.height {
            return true;
        }
        let Some(Ok(xonly)) = self.key.get(1..).map(<[u8; 32]>::try_from) else {
            return true;
        };
        if !bip340::verify(&xonly, &rotation_message(id, &link.new_key), &link.sig) {
            return true;
        }
        self.links += 1;
        if self.links > MAX_ROTATION_LINKS {
            return false;
        }
        (self.key, self.last, self.height) = (link.new_key, Some(link.point), link.height);
        true
    }
}

impl<C: ChainView> BurnVerifier<C> {
    /// `rot` as a matured rotation of identity `id` no lower than `min_height`, before its
    /// signature is checked.
    fn rotation(&self, rot: &OutPoint, id: &[u8; 32], min_height: u64) -> Option<Link> {
        let out = self.chain.output(rot)?;
        let payload = Self::payload(&out.script, ROTATE)?;
        let (pid, key, sig) = (payload.get(..32)?, payload.get(32..65)?, payload.get(65..)?);
        let (key, sig) = (
            <KeyBytes>::try_from(key).ok()?,
            <[u8; 64]>::try_from(sig).ok()?,
        );
        (pid == id.as_slice()
            && out.height >= min_height
            && self.matured(&out, self.config.rotation_confirmations))
        .then_some(Link {
            point: *rot,
            height: out.height,
            new_key: key,
            sig,
        })
    }

    /// The walk over the indexed candidates `indexed` (see the module docs), cached.
    fn walk_index(
        &self,
        id: &[u8; 32],
        reg_key: KeyBytes,
        reg_height: u64,
        indexed: &[OutPoint],
    ) -> Option<End> {
        let tip = self.chain.tip_height();
        let tip = [
            [u8::from(tip.is_some())].as_slice(),
            &tip.unwrap_or(0).to_be_bytes(),
        ]
        .concat();
        let points: Vec<u8> = indexed
            .iter()
            .flat_map(|p| p.txid.into_iter().chain(p.vout.to_be_bytes()))
            .collect();
        let key = sha256(&[id, &reg_key, &reg_height.to_be_bytes(), &tip, &points]);
        if let Some(hit) = self.walks.get(&key) {
            return hit;
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut links: Vec<Link> = indexed
            .iter()
            .filter(|op| seen.insert(**op))
            .filter_map(|op| self.rotation(op, id, reg_height))
            .collect();
        links.sort_by_key(|l| l.height);
        let mut end = Some(End {
            key: reg_key,
            last: None,
            height: reg_height,
            links: 0,
        });
        for link in links {
            if !end.as_mut().is_some_and(|e| e.take(link, id)) {
                end = None;
                break;
            }
        }
        self.walks.put(key, end);
        end
    }

    /// Follows the chain of identity `id`, registered to `reg_key` at `reg_height`, from the
    /// indexed candidates, then `hint` (the claim's rotation) when the index does not list
    /// it. `None` when a bound is exceeded.
    pub(super) fn chain_end(
        &self,
        id: &[u8; 32],
        reg_key: KeyBytes,
        reg_height: u64,
        hint: Option<&OutPoint>,
    ) -> Option<End> {
        let indexed = self.chain.rotations_of(id);
        if indexed.len() > MAX_ROTATION_OUTPUTS {
            return None;
        }
        let mut end = self.walk_index(id, reg_key, reg_height, &indexed)?;
        if let Some(hint) = hint.filter(|h| !indexed.contains(h)) {
            if let Some(link) = self.rotation(hint, id, reg_height) {
                if !end.take(link, id) {
                    return None;
                }
            }
        }
        Some(end)
    }
}
