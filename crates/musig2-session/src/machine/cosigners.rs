//! Who the node is signing with right now, for the driver's connection budget.

use std::collections::BTreeSet;

use super::Machine;
use crate::wire::KeyBytes;

impl Machine {
    /// The other signers of every session of our own (created, joined or resumed; not an
    /// invitation we have not joined) that has not ended or expired at `now`. The driver keeps
    /// connection capacity for them (`docs/protocol.md` §8): strangers cannot crowd out the
    /// peers a running session needs. Only sessions the local user took part in count, so a
    /// stranger cannot make itself a co-signer by announcing a session that names it.
    pub fn active_cosigners(&self, now: u64) -> BTreeSet<KeyBytes> {
        let own = self.public_key();
        self.sessions
            .values()
            .filter(|s| s.invited_by.is_none() && !s.phase.is_terminal() && s.ann.expires_at > now)
            .flat_map(|s| (0..s.n()).map(|j| s.key(j)))
            .filter(|k| *k != own)
            .collect()
    }
}
