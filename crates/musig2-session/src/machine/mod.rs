//! The sans-IO session state machine (quinn-proto style).
//!
//! Feed it with [`Machine::handle_message`], [`Machine::handle_timeout`] and local commands;
//! drain [`Machine::poll_transmit`] and [`Machine::poll_event`]; arm a timer for
//! [`Machine::poll_timeout`]. Time (`now`, ms since the Unix epoch) and randomness are always
//! parameters, so every scenario replays deterministically.

mod core;
mod cosigners;
mod discovery;
mod identity_api;
mod inbound;
mod inbox_api;
mod io;
mod liveness;
mod parked;
mod phase;
mod rounds;
mod route_api;
mod session;
mod timers;

pub use self::core::SEQ_PER_MS;
pub use discovery::SignerEntry;
pub use io::{Destination, Event, Transmit};
pub use phase::Phase;
pub use session::{session_id, SESSION_TAG};

use std::collections::BTreeMap;

use rand_core::{CryptoRng, RngCore};

pub(crate) use self::core::scheme_of;
use self::core::{scheme_id, Core};
use self::session::Session;
use crate::config::Config;
use crate::crypto::{Scheme, SecretKey};
use crate::election::ElectionMethod;
use crate::error::Error;
use crate::identity::{IdentityVerifier, KeyRegistry, NoIdentity};
use crate::peer::{BoundedMap, PeerId};
use crate::rate_limit::RateLimiter;
use crate::replay::ReplayGuard;
use crate::reputation::Reputation;
use crate::wire::{AbortReason, Announcement, KeyBytes, Message, TweakSpec};

/// Parameters of a new session, chosen by its creator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionParams {
    /// Every signer's key, ours included, in the order election methods that care use.
    pub signers: Vec<KeyBytes>,
    /// The message to sign.
    pub message: Vec<u8>,
    /// Key tweak.
    pub tweak: TweakSpec,
    /// Coordinator election method.
    pub election: ElectionMethod,
    /// Transaction type.
    pub tx_type: String,
}

/// A read-only view of one session, for applications and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// Phase.
    pub phase: Phase,
    /// Current attempt.
    pub attempt: u32,
    /// Failover order (element 0 coordinates).
    pub order: Vec<KeyBytes>,
    /// The coordinator this node currently follows.
    pub coordinator: Option<KeyBytes>,
    /// The final signature, once known.
    pub signature: Option<[u8; 64]>,
    /// The signed announcement envelope (public; persist it to resume after a restart).
    pub announcement: Vec<u8>,
    /// Signers whose contribution to the current phase we are still waiting for.
    pub waiting_for: Vec<KeyBytes>,
}

/// Maps a signing key to the transport peer that alone may deliver its session envelopes.
pub type PeerBinding = Box<dyn Fn(&KeyBytes) -> Option<PeerId> + Send>;

/// One node's protocol state: its sessions and its defences. See the module docs.
pub struct Machine {
    core: Core,
    sessions: BTreeMap<[u8; 32], Session>,
    replay: ReplayGuard,
    rate: RateLimiter,
    request_rate: RateLimiter,
    reputation: Reputation,
    keys: KeyRegistry,
    verifier: Box<dyn IdentityVerifier + Send>,
    directory: BoundedMap<KeyBytes, discovery::KnownSigner>,
    /// The key and peer each verified identity was last seen under (reputation follows the
    /// identity across a rotation; see `identity_api`).
    identities: BoundedMap<[u8; 32], identity_api::Holder>,
    /// Our signing requests: expiry and the keys asked (only they may accept).
    requests: BoundedMap<[u8; 32], (u64, Vec<KeyBytes>)>,
    /// DHT look-ups asked for: when, and the transport peer whose message prompted it.
    lookups: BoundedMap<[u8; 32], (u64, PeerId)>,
    /// The transport peer a signing key's envelopes must come from (see
    /// [`Machine::bind_peers_to_keys`]).
    peer_of_key: Option<PeerBinding>,
    /// Advertisements accepted, by envelope digest and publishing peer, until they expire:
    /// the same advertisement on another transaction type's topic is taken as a repeat (no
    /// rate-limit violation, no duplicate penalty), so it can travel on every topic.
    seen_adverts: BoundedMap<([u8; 32], PeerId), u64>,
    /// Round messages that arrived before their session's announcement.
    parked: parked::Parked,
    /// Sender keys already decoded (point decompression is costly), with last use.
    key_cache: BoundedMap<KeyBytes, (crate::crypto::PublicKey, u64)>,
}

impl Machine {
    /// A node signing with `sk` under `scheme`, starting at `now`. `entropy` (32 fresh random
    /// bytes) seeds the auxiliary randomness of envelope signatures.
    pub fn new(config: Config, scheme: Scheme, sk: SecretKey, now: u64, entropy: [u8; 32]) -> Self {
        let cap = config.max_tracked_peers;
        Self {
            replay: ReplayGuard::new(cap.saturating_mul(4)),
            rate: RateLimiter::new(
                config.advert_interval_ms,
                config.advert_violations_before_ban,
                cap,
            ),
            request_rate: RateLimiter::new(
                config.request_interval_ms,
                config.advert_violations_before_ban,
                cap,
            ),
            reputation: Reputation::new(
                config.reputation.clone(),
                config.graylist_duration_ms,
                cap,
            ),
            keys: KeyRegistry::new(config.key_caps, cap),
            directory: BoundedMap::new(config.max_known_signers),
            identities: BoundedMap::new(config.max_known_signers),
            requests: BoundedMap::new(config.max_sessions),
            lookups: BoundedMap::new(config.max_sessions),
            parked: parked::Parked::default(),
            seen_adverts: BoundedMap::new(config.max_known_signers),
            key_cache: BoundedMap::new(config.max_known_signers),
            verifier: Box::new(NoIdentity),
            peer_of_key: None,
            sessions: BTreeMap::new(),
            core: Core::new(config, scheme, sk, now, entropy),
        }
    }

    /// Replaces the identity verifier (default: [`NoIdentity`]).
    pub fn set_identity_verifier(&mut self, verifier: Box<dyn IdentityVerifier + Send>) {
        self.verifier = verifier;
    }

    /// Takes session envelopes (announcements, round messages, requests, accepts) only from
    /// the transport peer `bind` derives from their signing key; any other copy is rejected
    /// as [`Error::Forwarded`] before its signature is checked or its sequence number
    /// recorded. A libp2p driver whose peer IDs are the signing keys (musig2-net) always sets
    /// this; without it, any peer may deliver any signer's envelopes.
    ///
    /// # Security
    /// With the binding, bans and penalties of a signer key cannot be evaded through other
    /// peer IDs, and a third peer cannot make a signer's own copy a penalized duplicate.
    pub fn bind_peers_to_keys(&mut self, bind: PeerBinding) {
        self.peer_of_key = Some(bind);
    }

    /// Our public key.
    pub fn public_key(&self) -> KeyBytes {
        self.core.me
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// Reputation score of a peer.
    pub fn reputation(&self, peer: &PeerId) -> i32 {
        self.reputation.score(peer)
    }

    /// Standing of a peer at `now`.
    pub fn standing(&self, peer: &PeerId, now: u64) -> crate::reputation::Standing {
        self.reputation.standing(peer, now)
    }

    /// The reputation table as public data, for storage across restarts (no secrets).
    pub fn export_reputation(&self, now: u64) -> Vec<crate::reputation::ReputationEntry> {
        self.reputation.export(now)
    }

    /// Merges a stored reputation table (untrusted input: clamped, expired graylistings
    /// dropped; see [`crate::reputation::Reputation::import`]).
    pub fn import_reputation(&mut self, entries: &[crate::reputation::ReputationEntry], now: u64) {
        self.reputation.import(entries, now);
    }

    /// A view of a session.
    pub fn session(&self, session_id: &[u8; 32]) -> Option<SessionInfo> {
        self.sessions.get(session_id).map(|s| SessionInfo {
            phase: s.phase,
            attempt: s.attempt,
            order: s.order.iter().map(|&i| s.key(i)).collect(),
            coordinator: s.coordinator().map(|i| s.key(i)),
            signature: s.signature.map(|sig| sig.to_bytes()),
            announcement: s.ann_bytes.clone(),
            waiting_for: (0..s.n())
                .filter(|&j| s.lacks(j))
                .map(|j| s.key(j))
                .collect(),
        })
    }

    /// Transmits and events dropped because their queues were full.
    pub fn dropped(&self) -> u64 {
        self.core.dropped
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.core.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.core.events.pop_front()
    }

    /// Makes room for one more session of our own (created, joined or resumed): evicts an
    /// ended or expired one, or an invitation. Invitations live in their own, smaller budget
    /// (`max_invitations`), so strangers' announcements can never make this fail.
    fn make_room(&mut self, now: u64) -> Result<(), Error> {
        let own = self
            .sessions
            .values()
            .filter(|s| s.invited_by.is_none())
            .count();
        if own < self.core.config.max_sessions {
            return Ok(());
        }
        let victim = self
            .sessions
            .iter()
            .filter(|(_, s)| {
                s.invited_by.is_none() && (s.phase.is_terminal() || s.ann.expires_at <= now)
            })
            .min_by_key(|(_, s)| s.ann.expires_at)
            .map(|(id, _)| *id)
            .ok_or(Error::Capacity("sessions"))?;
        self.remove_session(&victim);
        Ok(())
    }

    fn remove_session(&mut self, id: &[u8; 32]) {
        self.sessions.remove(id);
        self.replay.forget_session(id);
    }

    /// Adds an un-joined invitation (a session a stranger announced to us). Invitations have
    /// their own budget, so they never take the place of our own sessions. An ended or
    /// expired invitation makes room first; then, over its delivering peer's cap, that peer's
    /// oldest invitation; over the total cap, the invitation of the least reputable delivering
    /// peer (the oldest among equals). Nothing is refused.
    pub(super) fn insert_invitation(&mut self, s: Session, now: u64) -> Result<[u8; 32], Error> {
        let (per_peer, total) = (
            self.core.config.max_invitations_per_peer,
            self.core.config.max_invitations,
        );
        if per_peer == 0 || total == 0 {
            return Err(Error::Capacity("invitations"));
        }
        let by = s.invited_by.clone();
        let invitations: Vec<(&[u8; 32], &Session)> = self
            .sessions
            .iter()
            .filter(|(_, x)| x.invited_by.is_some())
            .collect();
        let ended = |x: &Session| x.phase.is_terminal() || x.ann.expires_at <= now;
        let from_peer: Vec<&(&[u8; 32], &Session)> = invitations
            .iter()
            .filter(|(_, x)| x.invited_by == by)
            .collect();
        let victim = if from_peer.len() >= per_peer {
            from_peer
                .iter()
                .min_by_key(|(_, x)| (!ended(x), x.invited_at))
                .map(|(id, _)| **id)
        } else if invitations.len() >= total {
            let rep = &self.reputation;
            invitations
                .iter()
                .min_by_key(|(_, x)| {
                    let score = x.invited_by.as_ref().map_or(0, |p| rep.score(p));
                    (!ended(x), score, x.invited_at)
                })
                .map(|(id, _)| **id)
        } else {
            None
        };
        if let Some(v) = victim {
            self.remove_session(&v);
        }
        self.insert_session(s)
    }

    fn insert_session(&mut self, s: Session) -> Result<[u8; 32], Error> {
        if self.sessions.contains_key(&s.id) {
            return Err(Error::InvalidCommand("session exists"));
        }
        let id = s.id;
        let order = s.order.iter().map(|&i| s.key(i)).collect();
        self.core.event(Event::CoordinatorElected {
            session_id: id,
            order,
        });
        self.sessions.insert(id, s);
        Ok(id)
    }

    /// Creates a session, announces it to every signer and to the DHT, and joins it.
    ///
    /// # Errors
    /// [`Error::InvalidCommand`] when we are not a signer, [`Error::Decode`] for parameters
    /// outside the protocol bounds, [`Error::Capacity`] when `max_sessions` are active.
    pub fn create_session(
        &mut self,
        now: u64,
        params: SessionParams,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<[u8; 32], Error> {
        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt);
        let ann = Announcement {
            election: params.election,
            tweak: params.tweak,
            signers: params.signers,
            message: params.message,
            tx_type: params.tx_type,
            salt,
            created_at: now,
            expires_at: now.saturating_add(self.core.config.session_lifetime_ms),
        };
        ann.validate()?;
        let scheme = scheme_id(self.core.scheme);
        let id = session_id(scheme, &ann);
        if self.sessions.contains_key(&id) {
            return Err(Error::InvalidCommand("session exists"));
        }
        let bytes = self
            .core
            .seal(id, 0, Message::Announcement(ann.clone()), now);
        let mut s = Session::new(&self.core, scheme, ann, bytes.clone(), now).map_err(|e| {
            if e == Error::NotOurSession {
                Error::InvalidCommand("not a signer")
            } else {
                e
            }
        })?;
        self.make_room(now)?;
        self.core.transmit(Destination::DhtPut(id), bytes.clone());
        for key in s.others() {
            self.core.transmit(Destination::Signer(key), bytes.clone());
        }
        self.leave_in_inboxes(&s, rng);
        s.join_local(&mut self.core, now, rng)?;
        self.insert_session(s)
    }

    /// Joins a discovered session.
    ///
    /// # Errors
    /// [`Error::InvalidCommand`] for an unknown session or one already joined.
    pub fn join(
        &mut self,
        now: u64,
        session_id: &[u8; 32],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), Error> {
        let phase = self
            .sessions
            .get(session_id)
            .ok_or(Error::InvalidCommand("unknown session"))?
            .phase;
        if phase != Phase::Announced {
            return Err(Error::InvalidCommand("already joined or ended"));
        }
        // Joining moves the invitation into our own budget.
        let Some(mut s) = self.sessions.remove(session_id) else {
            return Err(Error::InvalidCommand("unknown session"));
        };
        let invited_by = s.invited_by.take();
        if let Err(e) = self.make_room(now) {
            s.invited_by = invited_by;
            self.sessions.insert(*session_id, s);
            return Err(e);
        }
        self.sessions.insert(*session_id, s);
        // Messages that arrived before the announcement, verified then: hand them to the
        // session first (a higher attempt among them sets the attempt our nonce is for).
        for (from, env) in self.parked.take(session_id) {
            self.core.reward_due = false;
            let result = self.on_session_message(env, &from, now, rng);
            self.judge(&from, &result, now);
            if let Err(error) = result {
                self.core.event(Event::MessageRejected { from, error });
            }
        }
        self.judge_deferred(now);
        let Some(s) = self.sessions.get_mut(session_id) else {
            return Err(Error::InvalidCommand("unknown session"));
        };
        if s.phase != Phase::Announced {
            // A parked message already ended it (e.g. it carried the final signature).
            return Ok(());
        }
        s.join_local(&mut self.core, now, rng)
    }

    /// Declines a discovered session (sends `Abort` with reason declined).
    ///
    /// # Errors
    /// [`Error::InvalidCommand`] for an unknown or ended session.
    pub fn decline(&mut self, now: u64, session_id: &[u8; 32]) -> Result<(), Error> {
        self.abort_with(now, session_id, AbortReason::Declined)
    }

    /// Aborts a session locally and tells every signer.
    ///
    /// # Errors
    /// [`Error::InvalidCommand`] for an unknown or ended session.
    pub fn abort(&mut self, now: u64, session_id: &[u8; 32]) -> Result<(), Error> {
        self.abort_with(now, session_id, AbortReason::Local)
    }

    fn abort_with(
        &mut self,
        now: u64,
        session_id: &[u8; 32],
        reason: AbortReason,
    ) -> Result<(), Error> {
        let s = self
            .sessions
            .get_mut(session_id)
            .ok_or(Error::InvalidCommand("unknown session"))?;
        if s.phase.is_terminal() {
            return Err(Error::InvalidCommand("session ended"));
        }
        let msg = Message::Abort(crate::wire::Abort {
            reason,
            detail: String::new(),
        });
        let others = s.others();
        self.core.send_to(&others, s.id, s.attempt, &msg, now);
        s.secnonce = None;
        s.set_phase(&mut self.core, Phase::Aborted);
        let by = self.core.me;
        self.core.event(Event::Aborted {
            session_id: *session_id,
            by,
            reason,
        });
        Ok(())
    }

    /// Resumes a session after a restart from its persisted (public) announcement envelope and
    /// the last attempt this node was in ([`SessionInfo::attempt`], also public). No secret
    /// nonce survives a restart, so the node waits for a message from another signer and then
    /// moves the session to an attempt above both, with fresh nonces for everyone.
    ///
    /// # Errors
    /// Any error of decoding or verifying the announcement.
    pub fn resume_session(
        &mut self,
        now: u64,
        announcement: &[u8],
        last_attempt: u32,
    ) -> Result<[u8; 32], Error> {
        let (env, scheme) = self.open(announcement)?;
        let Message::Announcement(ann) = env.message else {
            return Err(Error::UnexpectedKind(env.message.kind()));
        };
        let mut s = Session::new(&self.core, scheme, ann, announcement.to_vec(), now)?;
        if s.ann.expires_at <= now {
            return Err(Error::SessionExpired);
        }
        if self.sessions.contains_key(&s.id) {
            return Err(Error::InvalidCommand("session exists"));
        }
        self.make_room(now)?;
        s.resumed = true;
        s.creator = env.sender;
        s.attempt = last_attempt;
        if let Some(j) = s.joined.get_mut(s.me) {
            *j = true;
        }
        s.phase = Phase::Joining;
        let others = s.others();
        self.core.send_to(&others, s.id, 0, &Message::Join, now);
        self.insert_session(s)
    }
}
