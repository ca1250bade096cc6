//! Round messages that arrive before their session is known.
//!
//! Signers send their nonce the moment they join, so a fast signer's `NonceShare` can reach a
//! signer that has not yet received the announcement. That message was verified (signature,
//! clock, replay window) on receipt; dropping it would leave the receiver without the sender's
//! nonce until a heartbeat asked for it again (seconds). It is parked here instead and handed
//! to its session when the local signer joins. The queue is bounded; the oldest message makes
//! room for a new one, so a flood of messages for unknown sessions only falls back to the
//! heartbeat path, it never grows memory.

use std::collections::VecDeque;

use crate::peer::PeerId;
use crate::wire::{Envelope, Message};

/// Most parked messages across all unknown sessions.
pub(crate) const MAX_PARKED: usize = 128;

/// Verified round messages waiting for their session, with the transport peer that delivered
/// each (it is rewarded or penalized when the message is finally judged).
#[derive(Default)]
pub(crate) struct Parked {
    queue: VecDeque<(PeerId, Envelope)>,
}

impl Parked {
    /// Keeps `env` (only round contributions: the kinds whose loss would stall a round).
    pub(crate) fn park(&mut self, from: PeerId, env: Envelope) {
        if !matches!(
            env.message,
            Message::Join | Message::NonceShare(_) | Message::PartialSigShare { .. }
        ) {
            return;
        }
        if self.queue.len() >= MAX_PARKED {
            self.queue.pop_front();
        }
        self.queue.push_back((from, env));
    }

    /// Removes and returns the messages of `session_id`, oldest first.
    pub(crate) fn take(&mut self, session_id: &[u8; 32]) -> Vec<(PeerId, Envelope)> {
        let (mine, rest): (VecDeque<_>, VecDeque<_>) = self
            .queue
            .drain(..)
            .partition(|(_, e)| e.session_id == *session_id);
        self.queue = rest;
        mine.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::SchemeId;

    fn env(session: u8, message: Message) -> Envelope {
        Envelope {
            scheme: SchemeId::Bip327,
            session_id: [session; 32],
            sender: [2; 33],
            attempt: 0,
            seq: 1,
            timestamp: 0,
            message,
            signature: [0; 64],
        }
    }

    #[test]
    fn keeps_round_messages_per_session_in_order() {
        let mut p = Parked::default();
        let peer = || PeerId::new(b"peer".to_vec());
        p.park(peer(), env(1, Message::NonceShare([1; 66])));
        p.park(peer(), env(2, Message::Join));
        p.park(peer(), env(1, Message::Join));
        p.park(peer(), env(1, Message::Heartbeat { phase: 1, have: 0 }));
        let got: Vec<_> = p
            .take(&[1; 32])
            .into_iter()
            .map(|(_, e)| e.message)
            .collect();
        assert_eq!(got, vec![Message::NonceShare([1; 66]), Message::Join]);
        assert!(p.take(&[1; 32]).is_empty(), "taken once");
        assert_eq!(p.take(&[2; 32]).len(), 1);
    }

    #[test]
    fn the_oldest_makes_room_at_the_bound() {
        let mut p = Parked::default();
        let peer = || PeerId::new(b"peer".to_vec());
        p.park(peer(), env(9, Message::Join));
        for _ in 0..MAX_PARKED {
            p.park(peer(), env(1, Message::Join));
        }
        assert!(p.take(&[9; 32]).is_empty(), "evicted");
        assert_eq!(p.take(&[1; 32]).len(), MAX_PARKED);
    }
}
