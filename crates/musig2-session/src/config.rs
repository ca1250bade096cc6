//! Every bound and timer of the session layer, with documented defaults.

use crate::error::Offence;

/// Session-layer configuration. `Config::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Largest accepted difference between a message timestamp and our clock. Default 30 s.
    pub max_clock_skew_ms: u64,
    /// How often unacknowledged contributions are re-sent. Default 1 s.
    pub retransmit_interval_ms: u64,
    /// How often a `Heartbeat` goes to every signer of an active session. Default 1 s.
    pub heartbeat_interval_ms: u64,
    /// Silence after which a signer counts as gone: a coordinator is failed over, a missing
    /// confirmation no longer awaited. Default 2.5 s (two heartbeats and a half), so a
    /// coordinator that freezes is failed over within 1.5–2.5 s.
    pub liveness_timeout_ms: u64,
    /// Time the coordinator has, once every signer holds all partial signatures, to deliver
    /// the final signature before the next signer takes over. Default 10 s.
    pub coordinator_deadline_ms: u64,
    /// Lifetime of sessions created by [`crate::Machine::create_session`]. Default 10 min.
    pub session_lifetime_ms: u64,
    /// Longest accepted announcement lifetime, counted from our clock: an announcement whose
    /// `expires_at` lies further ahead (or whose `created_at` lies beyond the clock skew in
    /// the future) is rejected. Default 1 day (the wire format's bound on a lifetime).
    pub max_session_lifetime_ms: u64,
    /// Our own sessions tracked at once (created, joined or resumed, any phase). Invitations
    /// are not counted here. Default 64.
    pub max_sessions: usize,
    /// Un-joined invitations (sessions strangers announced to us) kept at once, in their own
    /// budget; over it, the least reputable delivering peer's oldest invitation is evicted.
    /// Default 16.
    pub max_invitations: usize,
    /// Un-joined invitations one delivering transport peer may have here; over it, its own
    /// oldest one is evicted. Default 2.
    pub max_invitations_per_peer: usize,
    /// Signing attempts per session before it fails. Default 8.
    pub max_attempts: u32,
    /// Minimum spacing of advertisements from one peer. Default 60 s.
    pub advert_interval_ms: u64,
    /// Minimum spacing of signing requests from one peer. Default 1 s.
    pub request_interval_ms: u64,
    /// Advertisement (and signing-request) rate violations after which a peer is blacklisted for good. Default 10.
    pub advert_violations_before_ban: u32,
    /// How long a graylisted peer is ignored. Default 10 min.
    pub graylist_duration_ms: u64,
    /// Keys one peer may advertise, per identity tier.
    pub key_caps: KeyCaps,
    /// Peers tracked by the replay guard, rate limiter, reputation and key registry. Default 4,096.
    pub max_tracked_peers: usize,
    /// Outgoing messages queued before new ones are dropped. Default 4,096.
    pub max_pending_transmits: usize,
    /// Events queued before new ones are dropped. Default 1,024.
    pub max_pending_events: usize,
    /// Advertisements remembered (signer directory). Default 1,024.
    pub max_known_signers: usize,
    /// Longest accepted advertisement lifetime from our clock (`expires_at` beyond it plus
    /// the clock skew is rejected). Default 1 hour.
    pub max_advert_lifetime_ms: u64,
    /// Reputation thresholds and penalties.
    pub reputation: ReputationConfig,
}

/// Keys advertised per peer, by identity tier (see [`crate::identity`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyCaps {
    /// Without a verified identity. Default 10.
    pub unverified: usize,
    /// With a verified identity. Default 50.
    pub verified: usize,
    /// With an institutional identity. Default 100.
    pub institutional: usize,
}

/// Reputation scoring (protocol.md §7.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReputationConfig {
    /// Highest score. Default 100.
    pub max_score: i32,
    /// Score gained per accepted message. Default 1.
    pub reward: i32,
    /// At or below this score a peer is graylisted. Default −50.
    pub graylist_score: i32,
    /// At or below this score a peer is blacklisted for good. Default −200.
    pub ban_score: i32,
    /// Penalty per offence.
    pub penalties: Penalties,
}

/// Penalty (subtracted from the score) per [`Offence`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Penalties {
    /// Undecodable bytes. Default 10.
    pub malformed: i32,
    /// Bad signature or sender key. Default 20.
    pub forged_signature: i32,
    /// Sender not a signer. Default 10.
    pub not_a_signer: i32,
    /// Repeated sequence number: networks duplicate, so this is small. Default 1.
    pub duplicate: i32,
    /// Sequence number regression. Default 10.
    pub regression: i32,
    /// Unknown or expired session: may be a race with the DHT, so small. Default 1.
    pub unknown_session: i32,
    /// Out-of-phase message: reordering causes it, so small. Default 1.
    pub out_of_phase: i32,
    /// Equivocation. Default 40.
    pub equivocation: i32,
    /// Invalid nonce or signature. Default 40.
    pub invalid_contribution: i32,
    /// Advertisement rate violation. Default 5.
    pub rate_limited: i32,
    /// Key cap exceeded. Default 10.
    pub key_cap: i32,
}

impl Penalties {
    /// The penalty of an offence.
    pub fn of(&self, offence: Offence) -> i32 {
        match offence {
            Offence::Malformed => self.malformed,
            Offence::ForgedSignature => self.forged_signature,
            Offence::NotASigner => self.not_a_signer,
            Offence::Duplicate => self.duplicate,
            Offence::Regression => self.regression,
            Offence::UnknownSession => self.unknown_session,
            Offence::OutOfPhase => self.out_of_phase,
            Offence::Equivocation => self.equivocation,
            Offence::InvalidContribution => self.invalid_contribution,
            Offence::RateLimited => self.rate_limited,
            Offence::KeyCap => self.key_cap,
        }
    }
}

impl Default for Penalties {
    fn default() -> Self {
        Self {
            malformed: 10,
            forged_signature: 20,
            not_a_signer: 10,
            duplicate: 1,
            regression: 10,
            unknown_session: 1,
            out_of_phase: 1,
            equivocation: 40,
            invalid_contribution: 40,
            rate_limited: 5,
            key_cap: 10,
        }
    }
}

impl Default for ReputationConfig {
    fn default() -> Self {
        Self {
            max_score: 100,
            reward: 1,
            graylist_score: -50,
            ban_score: -200,
            penalties: Penalties::default(),
        }
    }
}

impl Default for KeyCaps {
    fn default() -> Self {
        Self {
            unverified: 10,
            verified: 50,
            institutional: 100,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_clock_skew_ms: 30_000,
            retransmit_interval_ms: 1_000,
            heartbeat_interval_ms: 1_000,
            liveness_timeout_ms: 2_500,
            coordinator_deadline_ms: 10_000,
            session_lifetime_ms: 600_000,
            max_session_lifetime_ms: 86_400_000,
            max_sessions: 64,
            max_invitations: 16,
            max_invitations_per_peer: 2,
            max_attempts: 8,
            advert_interval_ms: 60_000,
            advert_violations_before_ban: 10,
            request_interval_ms: 1_000,
            graylist_duration_ms: 600_000,
            key_caps: KeyCaps::default(),
            max_tracked_peers: 4096,
            max_pending_transmits: 4096,
            max_pending_events: 1024,
            max_known_signers: 1024,
            max_advert_lifetime_ms: 3_600_000,
            reputation: ReputationConfig::default(),
        }
    }
}
