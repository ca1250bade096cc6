//! The receive pipeline: every check runs before anything reads the message (protocol.md §2.1),
//! then the message goes to its session or to discovery. Errors that name a culprit penalize
//! the transport peer that delivered the bytes.

use rand_core::{CryptoRng, RngCore};

use super::io::Event;
use super::session::{session_id, Session};
use super::{Machine, Phase};
use crate::crypto::{schnorr_verify, PublicKey, Signature};
use crate::error::Error;
use crate::peer::PeerId;
use crate::replay::check_timestamp;
use crate::reputation::Standing;
use crate::wire::{Envelope, Kind, Message, SchemeId, MAX_ENVELOPE_LEN};

use super::core::scheme_of;

impl Machine {
    /// Decodes an envelope and verifies its signature. Nothing else is checked.
    pub(crate) fn open(&mut self, bytes: &[u8]) -> Result<(Envelope, SchemeId), Error> {
        let env = Envelope::decode(bytes)?;
        self.verify(env)
    }

    /// Verifies a decoded envelope's signature and scheme.
    fn verify(&mut self, env: Envelope) -> Result<(Envelope, SchemeId), Error> {
        let pk = self.sender_key(&env.sender)?;
        let sig = Signature::from_bytes(&env.signature)?;
        if !schnorr_verify(scheme_of(env.scheme), &pk, &env.digest(), &sig) {
            return Err(Error::InvalidSignature);
        }
        let scheme = env.scheme;
        // Every entry point (direct messages, DHT records, resumed sessions) only ever takes
        // envelopes of this node's own scheme: a session of another scheme could never finish.
        if scheme_of(scheme) != self.core.scheme {
            return Err(Error::WrongScheme);
        }
        Ok((env, scheme))
    }

    /// Decodes a sender key, through a small cache (keys are only cached once valid).
    fn sender_key(&mut self, raw: &crate::wire::KeyBytes) -> Result<PublicKey, Error> {
        let cache = &mut self.key_cache;
        let tick = cache.len() as u64;
        if let Some((pk, _)) = cache.get(raw) {
            return Ok(*pk);
        }
        let pk = PublicKey::from_bytes(raw).map_err(|_| Error::InvalidSenderKey)?;
        if let Some(slot) = cache.entry_or_insert(raw, || (pk, tick), |&(_, t)| Some(t)) {
            *slot = (pk, tick);
        }
        Ok(pk)
    }

    /// Handles bytes received from transport peer `from` at `now`.
    ///
    /// # Errors
    /// The reason the message was rejected. When [`Error::offence`] names an offence, `from`
    /// has already been penalized (and possibly graylisted or blacklisted, reported as
    /// [`Event::PeerBanned`]). Rejected messages change no session state.
    pub fn handle_message(
        &mut self,
        now: u64,
        from: &PeerId,
        bytes: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), Error> {
        match self.reputation.standing(from, now) {
            Standing::Blacklisted => {
                self.reputation.touch(from, now);
                return Err(Error::Blacklisted);
            }
            Standing::Graylisted { .. } => {
                self.reputation.touch(from, now);
                return Err(Error::Graylisted);
            }
            Standing::Good => {}
        }
        self.core.reward_due = false;
        let result = self.process(now, from, bytes, rng);
        self.judge(from, &result, now);
        self.judge_deferred(now);
        result
    }

    /// Rewards the transport peer `from` for a message that contributed to a session we
    /// joined, or penalizes it when the rejection names an offence (possibly banning it).
    pub(super) fn judge(&mut self, from: &PeerId, result: &Result<(), Error>, now: u64) {
        match result {
            Ok(()) => {
                if std::mem::take(&mut self.core.reward_due) {
                    self.reputation.reward(from, now);
                }
            }
            Err(e) => {
                self.core.reward_due = false;
                if let Some(offence) = e.offence() {
                    let was_banned = self.reputation.standing(from, now) == Standing::Blacklisted;
                    let standing = self.reputation.penalize(from, offence, now);
                    if standing == Standing::Blacklisted && !was_banned {
                        self.core.event(Event::PeerBanned { peer: from.clone() });
                    }
                }
            }
        }
    }

    /// Judges the messages that were held and found invalid later, and reports each.
    pub(super) fn judge_deferred(&mut self, now: u64) {
        for (from, error) in std::mem::take(&mut self.core.deferred) {
            self.judge(&from, &Err(error.clone()), now);
            self.core.event(Event::MessageRejected { from, error });
        }
    }

    fn process(
        &mut self,
        now: u64,
        from: &PeerId,
        bytes: &[u8],
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        if bytes.len() > MAX_ENVELOPE_LEN {
            return Err(crate::error::DecodeError::TooLong {
                len: bytes.len(),
                max: MAX_ENVELOPE_LEN,
            }
            .into());
        }
        let kind = bytes.get(1).and_then(|&k| Kind::from_code(k).ok());
        // The same advertisement again from the same publisher (it is published on the topic
        // of each of its transaction types): already judged, nothing to do.
        let advert = (kind == Some(Kind::SignerAdvertisement))
            .then(|| (musig2_crypto::hash::sha256(&[bytes]), from.clone()));
        if let Some(seen) = &advert {
            if self
                .seen_adverts
                .get(seen)
                .is_some_and(|&until| until > now)
            {
                return Ok(());
            }
        }
        // Advertisements and signing requests are rate-limited per transport peer before any
        // signature work.
        if let Some(kind) = kind {
            self.check_rate(kind, from, now)?;
        }
        let env = Envelope::decode(bytes)?;
        // A session envelope is taken only from the transport peer of its signing key (the
        // wallet identity is the signing key), before any signature work or replay state:
        // a forwarded copy can neither re-admit a banned key nor turn the real sender's own
        // copy into a duplicate. Advertisements travel through GossipSub and name their
        // publishing peer instead (checked in `on_advert`).
        if !matches!(env.message, Message::Advertisement(_)) {
            if let Some(bind) = &self.peer_of_key {
                if bind(&env.sender).as_ref() != Some(from) {
                    return Err(Error::Forwarded);
                }
            }
        }
        let (env, _) = self.verify(env)?;
        check_timestamp(env.timestamp, now, self.core.config.max_clock_skew_ms)?;
        self.replay
            .check_and_record(&env.session_id, &env.sender, env.seq, now)?;
        match &env.message {
            Message::Announcement(_) => self.on_announcement(env, from.clone(), now),
            Message::Advertisement(ad) => {
                let until = ad.expires_at;
                self.on_advert(from, env, now)?;
                if let Some(seen) = advert {
                    let slot = self
                        .seen_adverts
                        .entry_or_insert(&seen, || until, |&u| Some(u));
                    if let Some(slot) = slot {
                        *slot = until;
                    }
                }
                Ok(())
            }
            Message::SigningRequest(_) | Message::Accept => self.on_request(env, now),
            _ => {
                let id = env.session_id;
                if !self.sessions.contains_key(&id) {
                    // Fetch the announcement; keep the (verified) message for when we join.
                    self.request_lookup(id, from, now);
                    self.parked.park(from.clone(), env);
                    return Err(Error::UnknownSession);
                }
                self.on_session_message(env, from, now, rng)
            }
        }
    }

    /// Asks the driver to fetch a session's announcement, at most once per retransmit
    /// interval; the record, when it comes, counts as an invitation delivered by `from`.
    pub(super) fn request_lookup(&mut self, session_id: [u8; 32], from: &PeerId, now: u64) {
        let interval = self.core.config.retransmit_interval_ms;
        let due = self
            .lookups
            .get(&session_id)
            .is_none_or(|(t, _)| now >= t.saturating_add(interval));
        if due {
            if let Some(slot) =
                self.lookups
                    .entry_or_insert(&session_id, || (now, from.clone()), |(t, _)| Some(*t))
            {
                *slot = (now, from.clone());
            }
            self.core.event(Event::SessionLookup { session_id });
        }
    }

    /// Handles an announcement fetched from the DHT (no transport peer to blame or reward,
    /// no replay window: the same record may be fetched many times).
    ///
    /// # Errors
    /// As [`Machine::handle_message`], without penalties.
    pub fn handle_dht_record(&mut self, now: u64, bytes: &[u8]) -> Result<(), Error> {
        let (env, _) = self.open(bytes)?;
        check_timestamp(env.timestamp, now, self.core.config.max_clock_skew_ms).or_else(|e| {
            if env.timestamp <= now {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        // The record was fetched because `by` sent a message of its session (or the
        // application asked for it): the invitation is accounted to that peer.
        let by = self
            .lookups
            .get(&env.session_id)
            .map_or_else(|| PeerId::new(Vec::new()), |(_, p)| p.clone());
        self.on_announcement(env, by, now)
    }

    fn on_announcement(&mut self, env: Envelope, by: PeerId, now: u64) -> Result<(), Error> {
        let bytes = env.encode();
        let Message::Announcement(ann) = env.message else {
            return Err(Error::UnexpectedKind(env.message.kind()));
        };
        if session_id(env.scheme, &ann) != env.session_id {
            return Err(Error::SessionIdMismatch);
        }
        if !ann.signers.contains(&env.sender) {
            return Err(Error::NotASigner);
        }
        if ann.expires_at <= now {
            return Err(Error::SessionExpired);
        }
        let cfg = &self.core.config;
        if ann.created_at > now.saturating_add(cfg.max_clock_skew_ms)
            || ann.expires_at > now.saturating_add(cfg.max_session_lifetime_ms)
        {
            return Err(Error::AnnouncementTimes);
        }
        if self.sessions.contains_key(&env.session_id) {
            return Ok(());
        }
        let mut s = Session::new(&self.core, env.scheme, ann.clone(), bytes, now)?;
        s.creator = env.sender;
        s.invited_by = Some(by);
        s.invited_at = now;
        let id = self.insert_invitation(s, now)?;
        self.core.event(Event::SessionDiscovered {
            session_id: id,
            announcement: ann,
        });
        Ok(())
    }

    pub(super) fn on_session_message(
        &mut self,
        env: Envelope,
        from: &PeerId,
        now: u64,
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        let core = &mut self.core;
        let s = self
            .sessions
            .get_mut(&env.session_id)
            .ok_or(Error::UnknownSession)?;
        let j = s.index_of(&env.sender).ok_or(Error::NotASigner)?;
        if s.ann.expires_at <= now {
            return Err(Error::SessionExpired);
        }
        if env.attempt > core.config.max_attempts.saturating_add(1) {
            return Err(Error::AttemptOutOfRange(env.attempt));
        }
        if let Some(t) = s.last_heard.get_mut(j) {
            *t = now;
        }
        // Only messages of sessions we joined earn standing.
        core.reward_due = s.phase != Phase::Announced;
        match env.message {
            Message::SignatureNotice(sig) => {
                let was_completed = s.phase == Phase::Completed;
                s.on_notice(core, j, sig, now, rng)?;
                // The sender still confirms, so it lacks our notice.
                if was_completed {
                    s.reply_to(core, j, now);
                }
                return Ok(());
            }
            Message::Abort(a) => {
                // A signer holding the final signature is done: nobody can take it back.
                if !s.phase.is_terminal() && s.signature.is_none() {
                    s.secnonce = None;
                    s.set_phase(core, Phase::Aborted);
                    core.event(Event::Aborted {
                        session_id: s.id,
                        by: env.sender,
                        reason: a.reason,
                    });
                }
                return Ok(());
            }
            _ => {}
        }
        if s.phase.is_terminal() || s.signature.is_some() {
            // Done here: answer a signer that is behind with the final signature.
            if s.signature.is_some() {
                s.reply_to(core, j, now);
            }
            return Ok(());
        }
        if s.resumed && j != s.me {
            // We may have sent a nonce before the crash under an attempt we did not persist,
            // and only some signers may have seen it: wait until every other signer has told
            // us its attempt, then move above all of them, so no attempt ever carries two
            // nonces of ours.
            if let Some(h) = s.resume_heard.get_mut(j) {
                *h = true;
            }
            s.resume_max = s.resume_max.max(env.attempt);
            let me = s.me;
            let heard_all = s
                .resume_heard
                .iter()
                .enumerate()
                .all(|(i, &h)| h || i == me);
            if !heard_all {
                return Ok(());
            }
            s.resumed = false;
            let next = s.attempt.max(s.resume_max).saturating_add(1);
            s.start_attempt(core, next, now, rng)?;
        } else if env.attempt > s.attempt {
            s.start_attempt(core, env.attempt, now, rng)?;
        }
        if env.attempt < s.attempt {
            s.reply_to(core, j, now);
            return Err(Error::StaleAttempt(env.attempt));
        }
        match env.message {
            Message::Join => {
                if s.joined.get(j) == Some(&true) {
                    // A bare join from a signer that had joined: it restarted and waits to
                    // learn our attempt. Tell it now rather than at the next heartbeat.
                    s.reply_to(core, j, now);
                } else if let Some(joined) = s.joined.get_mut(j) {
                    *joined = true;
                }
                s.advance(core, now, rng)
            }
            Message::NonceShare(n) => s.on_nonce(core, j, n, now, rng),
            Message::PartialSigShare { psig, aggnonce } => {
                s.on_psig(core, j, psig, aggnonce, from, now, rng)
            }
            Message::Heartbeat { phase, have } => {
                // The sender is behind us, or at our phase without our contribution.
                let mine = 1u64.checked_shl(s.me as u32).unwrap_or(0);
                let behind = phase < s.phase as u8 || (phase == s.phase as u8 && have & mine == 0);
                if behind && s.phase != Phase::Announced {
                    s.reply_to(core, j, now);
                }
                Ok(())
            }
            other => Err(Error::UnexpectedKind(other.kind())),
        }
    }
}
