//! Sessions for signers that were offline: inbox entries left by creators, read at start
//! (protocol.md §4.4).

use rand_core::RngCore;

use super::session::Session;
use super::Machine;
use crate::inbox::{inbox_key, sign_inbox_entry, validate_inbox, InboxError};
use crate::machine::Destination;
use crate::peer::PeerId;

impl Machine {
    /// Puts, for every other signer of a session we created, a signed inbox entry naming it,
    /// so that a signer offline now finds it when it starts.
    pub(super) fn leave_in_inboxes(&mut self, s: &Session, rng: &mut impl RngCore) {
        for signer in s.others() {
            let mut aux = [0u8; 32];
            rng.fill_bytes(&mut aux);
            let signed = sign_inbox_entry(
                self.core.secret_key(),
                &signer,
                &s.id,
                s.ann.created_at,
                s.ann.expires_at,
                aux,
            );
            // The announcement's bounds (checked before) keep its lifetime within an
            // entry's; a session that cannot have one is still announced directly.
            if let Ok((key, value)) = signed {
                self.core.transmit(Destination::DhtPut(key), value);
            }
        }
    }

    /// The DHT key of this node's inbox record, for the driver to fetch at start.
    pub fn inbox_key(&self) -> [u8; 32] {
        inbox_key(&self.core.me)
    }

    /// Handles this node's inbox record as fetched from the DHT (from any one relay; call it
    /// for every copy found): for each live entry of a session not known yet, asks for the
    /// announcement ([`crate::Event::SessionLookup`]). The announcement, once fetched, is
    /// checked like any other and counts as an invitation from the entry's creator. Returns
    /// the number of look-ups asked for.
    ///
    /// # Errors
    /// An [`InboxError`] when the record is not a valid inbox record of our key; nothing
    /// changes then (no peer is to blame: DHT records have no sender).
    pub fn handle_inbox_record(&mut self, now: u64, bytes: &[u8]) -> Result<usize, InboxError> {
        let inbox = validate_inbox(&inbox_key(&self.core.me), bytes, now)?;
        let mut asked = 0;
        for e in inbox.entries {
            if self.sessions.contains_key(&e.session_id) {
                continue;
            }
            let creator = self
                .peer_of_key
                .as_ref()
                .and_then(|bind| bind(&e.creator))
                .unwrap_or_else(|| PeerId::new(e.creator.to_vec()));
            self.request_lookup(e.session_id, &creator, now);
            asked += 1;
        }
        Ok(asked)
    }
}
