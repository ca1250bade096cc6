//! The node's own identity and outbox: signs envelopes and queues transmits and events
//! within their bounds.

use std::collections::VecDeque;

use musig2_crypto::hash::tagged_hash;

use super::io::{Destination, Event, Transmit};
use crate::config::Config;
use crate::crypto::{schnorr_sign, Scheme, SecretKey};
use crate::wire::{Envelope, KeyBytes, Message, SchemeId};

/// Sequence numbers start at `now_ms × SEQ_PER_MS` so they keep increasing across restarts.
pub const SEQ_PER_MS: u64 = 1024;

pub(crate) struct Core {
    pub(crate) config: Config,
    pub(crate) scheme: Scheme,
    sk: SecretKey,
    pub(crate) me: KeyBytes,
    seq: u64,
    aux_seed: [u8; 32],
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<Event>,
    pub(crate) dropped: u64,
    /// Set while a message is handled when it contributed to a session this node has joined:
    /// only such messages earn their transport peer a reward (announcements, adverts and
    /// held messages cost an attacker nothing and must not buy standing).
    pub(crate) reward_due: bool,
    /// Judgements of earlier messages that were held and checked later, with the transport
    /// peer that delivered each: the machine penalizes it and reports the error.
    pub(crate) deferred: Vec<(crate::peer::PeerId, crate::error::Error)>,
}

pub(crate) fn scheme_id(scheme: Scheme) -> SchemeId {
    match scheme {
        Scheme::Bip327 => SchemeId::Bip327,
        Scheme::Lotus => SchemeId::Lotus,
    }
}

pub(crate) fn scheme_of(id: SchemeId) -> Scheme {
    match id {
        SchemeId::Bip327 => Scheme::Bip327,
        SchemeId::Lotus => Scheme::Lotus,
    }
}

impl Core {
    pub(crate) fn new(
        config: Config,
        scheme: Scheme,
        sk: SecretKey,
        now: u64,
        entropy: [u8; 32],
    ) -> Self {
        let me = sk.public_key().to_bytes();
        Self {
            config,
            scheme,
            sk,
            me,
            seq: now.saturating_mul(SEQ_PER_MS),
            aux_seed: entropy,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            dropped: 0,
            reward_due: false,
            deferred: Vec::new(),
        }
    }

    pub(crate) fn secret_key(&self) -> &SecretKey {
        &self.sk
    }

    /// Builds and signs an envelope with the next sequence number.
    pub(crate) fn seal(
        &mut self,
        session_id: [u8; 32],
        attempt: u32,
        message: Message,
        now: u64,
    ) -> Vec<u8> {
        self.seq = self.seq.saturating_add(1);
        let mut env = Envelope {
            scheme: scheme_id(self.scheme),
            session_id,
            sender: self.me,
            attempt,
            seq: self.seq,
            timestamp: now,
            message,
            signature: [0; 64],
        };
        let digest = env.digest();
        // Signature aux randomness (side-channel hardening only): derived, never repeated.
        let aux = tagged_hash(
            "musig2-p2p/v1/aux",
            &[&self.aux_seed, &self.seq.to_be_bytes()],
        );
        // Fails only on an internal fault; the peer then sees an invalid signature and drops it.
        env.signature = schnorr_sign(self.scheme, &self.sk, &digest, aux)
            .map(|s| s.to_bytes())
            .unwrap_or([0; 64]);
        env.encode()
    }

    pub(crate) fn transmit(&mut self, to: Destination, bytes: Vec<u8>) {
        if self.transmits.len() >= self.config.max_pending_transmits {
            self.dropped = self.dropped.saturating_add(1);
            return;
        }
        self.transmits.push_back(Transmit { to, bytes });
    }

    /// Seals one message once and sends the same envelope to each key in `to` (receivers
    /// track sequence numbers independently, so sharing one number is fine).
    pub(crate) fn send_to(
        &mut self,
        to: &[KeyBytes],
        session_id: [u8; 32],
        attempt: u32,
        message: &Message,
        now: u64,
    ) {
        if to.is_empty() {
            return;
        }
        let bytes = self.seal(session_id, attempt, message.clone(), now);
        for key in to {
            self.transmit(Destination::Signer(*key), bytes.clone());
        }
    }

    pub(crate) fn event(&mut self, e: Event) {
        if self.events.len() >= self.config.max_pending_events {
            self.dropped = self.dropped.saturating_add(1);
            return;
        }
        self.events.push_back(e);
    }
}
