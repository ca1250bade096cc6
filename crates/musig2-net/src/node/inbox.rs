//! Reading our inbox record (protocol.md §4.4): the sessions creators left for us while we
//! were offline. Fetched when a relay accepts our reservation (so at start, and again after
//! every reconnection); every copy found is handed to the session machine, which asks for the
//! announcements of the sessions it does not know.

use libp2p::kad;

use super::Node;
use crate::clock::now_ms;

/// Shortest time between two reads of the inbox, in ms (several relays accept our
/// reservations at once at start; one read serves them all).
const READ_SPACING_MS: u64 = 2_000;

/// The inbox read in flight, if any, and when the last one started.
#[derive(Debug, Default)]
pub(super) struct InboxReader {
    query: Option<kad::QueryId>,
    last: Option<u64>,
}

impl InboxReader {
    /// Whether `id` is our inbox read.
    pub(super) fn is_query(&self, id: &kad::QueryId) -> bool {
        self.query.as_ref() == Some(id)
    }
}

impl Node {
    /// Starts a read of our inbox record, unless one is in flight or started recently.
    pub(super) fn read_inbox(&mut self) {
        let now = now_ms();
        let recent = self
            .inbox
            .last
            .is_some_and(|t| now.saturating_sub(t) < READ_SPACING_MS);
        if self.inbox.query.is_some() || recent {
            return;
        }
        let Some(key) = self.machine.as_ref().map(|m| m.inbox_key()) else {
            return;
        };
        let query = self
            .swarm
            .behaviour_mut()
            .kad
            .get_record(kad::RecordKey::new(&key));
        self.inbox = InboxReader {
            query: Some(query),
            last: Some(now),
        };
    }

    /// One step of the inbox read: a copy of the record (each relay may hold a different
    /// merge of it) goes to the machine; invalid copies are dropped there.
    pub(super) fn on_inbox_result(&mut self, last: bool, value: Option<&[u8]>) {
        if last {
            self.inbox.query = None;
        }
        let (Some(value), Some(machine)) = (value, self.machine.as_mut()) else {
            return;
        };
        match machine.handle_inbox_record(now_ms(), value) {
            Ok(asked) => tracing::debug!(asked, "inbox read"),
            Err(e) => tracing::debug!("inbox record refused: {e}"),
        }
    }
}
