//! Keeps the connection gate's priority set (our relays and the co-signers of our active
//! sessions, as the session machine names them) up to date.

use std::collections::{HashMap, HashSet};

use libp2p::PeerId;
use musig2_session::wire::KeyBytes;

use super::Node;
use crate::identity::peer_id_of_signer;

/// Most signer keys whose peer IDs are remembered (deriving one decompresses a point).
const MAX_CACHED_PEER_IDS: usize = 4096;

/// Peer IDs of signer keys, derived once.
#[derive(Default)]
pub(super) struct PeerIdCache(HashMap<KeyBytes, PeerId>);

impl PeerIdCache {
    fn get(&mut self, key: &KeyBytes) -> Option<PeerId> {
        if let Some(p) = self.0.get(key) {
            return Some(*p);
        }
        let peer = peer_id_of_signer(key).ok()?;
        if self.0.len() >= MAX_CACHED_PEER_IDS {
            self.0.clear();
        }
        self.0.insert(*key, peer);
        Some(peer)
    }
}

impl Node {
    /// Recomputes the priority set when sessions may have started or ended since the last
    /// time (after a local command or a phase change).
    pub(super) fn refresh_priority(&mut self) {
        if !std::mem::take(&mut self.priority_dirty) {
            return;
        }
        let mut priority: HashSet<PeerId> = self.relays.keys().copied().collect();
        if let Some(machine) = self.machine.as_ref() {
            for key in machine.active_cosigners(crate::clock::now_ms()) {
                if let Some(peer) = self.peer_ids.get(&key) {
                    priority.insert(peer);
                }
            }
        }
        self.swarm.behaviour_mut().gate.set_priority(priority);
    }
}
