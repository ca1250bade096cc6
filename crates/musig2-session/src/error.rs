//! The crate's error types: [`DecodeError`] for bytes that do not parse, [`Error`] for
//! everything else. Errors caused by a remote peer carry a penalty ([`Error::offence`]); that
//! is the only input of reputation scores.

use crate::wire::{KeyBytes, Kind};

/// Why bytes could not be decoded. The peer that sent them is to blame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before a field was complete. Drop it.
    #[error("truncated input")]
    Truncated,
    /// The envelope exceeds the protocol maximum. Drop it unread.
    #[error("envelope of {len} bytes exceeds {max}")]
    TooLong {
        /// Input length.
        len: usize,
        /// Allowed maximum.
        max: usize,
    },
    /// The body exceeds its kind's bound. Drop it.
    #[error("body of {len} bytes exceeds {max}")]
    BodyTooLong {
        /// Body length.
        len: usize,
        /// Allowed maximum.
        max: usize,
    },
    /// Bytes were left after the last field. Drop it.
    #[error("trailing bytes")]
    TrailingBytes,
    /// The version byte is not 1. The peer speaks another protocol version.
    #[error("unsupported version {0}")]
    UnsupportedVersion(u8),
    /// The kind code is unknown.
    #[error("unknown message kind {0}")]
    UnknownKind(u8),
    /// An enumeration field has an undefined code.
    #[error("invalid {field} code {code}")]
    InvalidCode {
        /// Which field.
        field: &'static str,
        /// The code found.
        code: u8,
    },
    /// A length or count lies outside its bounds.
    #[error("length {len} outside {min}..={max}")]
    LengthOutOfRange {
        /// Found.
        len: usize,
        /// Smallest allowed.
        min: usize,
        /// Largest allowed.
        max: usize,
    },
    /// A transaction type is not 1..=32 bytes of `[a-z0-9_-]`.
    #[error("invalid transaction type")]
    InvalidTxType,
    /// A text field is not UTF-8.
    #[error("invalid utf-8")]
    InvalidUtf8,
    /// The same signer key appears twice.
    #[error("duplicate signer key")]
    DuplicateSigner,
    /// `expires_at` is not after `created_at`, or the lifetime exceeds one day.
    #[error("invalid session lifetime")]
    InvalidLifetime,
}

/// Categories of misbehaviour, each with a penalty in [`crate::config::Penalties`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offence {
    /// Undecodable bytes.
    Malformed,
    /// A signature that does not verify, or a sender key that is not a point.
    ForgedSignature,
    /// A message from a key that is not a signer of the session.
    NotASigner,
    /// A sequence number seen before (exact replay or network duplicate).
    Duplicate,
    /// A sequence number below the last accepted one.
    Regression,
    /// A message for a session this node does not know, or that expired.
    UnknownSession,
    /// A message the current phase does not accept.
    OutOfPhase,
    /// Two different contributions for the same round.
    Equivocation,
    /// A nonce, partial signature or final signature that is cryptographically invalid.
    InvalidContribution,
    /// An advertisement sooner than the rate limit allows.
    RateLimited,
    /// More keys advertised than the peer's cap.
    KeyCap,
}

/// Errors of the session layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes did not decode. The sender is penalized; nothing to do.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// The envelope signature does not verify for its sender. Dropped and penalized.
    #[error("invalid envelope signature")]
    InvalidSignature,
    /// The sender field is not a valid public key. Dropped and penalized.
    #[error("invalid sender key")]
    InvalidSenderKey,
    /// The peer is blacklisted; its messages are dropped unread.
    #[error("peer is blacklisted")]
    Blacklisted,
    /// The peer is graylisted for a while; its messages are dropped unread.
    #[error("peer is graylisted")]
    Graylisted,
    /// The timestamp is too far from our clock: a stale replay, or an honest peer whose clock
    /// is off. Dropped without penalty (code `clockSkew`); check clocks if this happens
    /// between honest peers.
    #[error("timestamp {timestamp} outside allowed skew of now {now}")]
    BadTimestamp {
        /// Sender's timestamp.
        timestamp: u64,
        /// Our clock.
        now: u64,
    },
    /// The sequence number was already accepted (a replay or a network duplicate).
    #[error("duplicate sequence number {seq}")]
    Duplicate {
        /// The repeated number.
        seq: u64,
    },
    /// The sequence number is below the last accepted one.
    #[error("sequence number {seq} regresses below {last}")]
    SeqRegression {
        /// Received.
        seq: u64,
        /// Last accepted.
        last: u64,
    },
    /// No session with this ID is known here. It may arrive later through the DHT.
    #[error("unknown session")]
    UnknownSession,
    /// The session expired.
    #[error("session expired")]
    SessionExpired,
    /// The sender is not one of the session's signers.
    #[error("sender is not a signer of the session")]
    NotASigner,
    /// The current phase does not accept this kind. Usually reordering; the sender retransmits.
    #[error("{kind:?} not accepted in phase {phase:?}")]
    OutOfPhase {
        /// Kind received.
        kind: Kind,
        /// Our phase.
        phase: crate::machine::Phase,
    },
    /// The message belongs to an older attempt and is ignored.
    #[error("stale attempt {0}")]
    StaleAttempt(u32),
    /// A signer sent two different contributions for the same round; the first is kept.
    #[error("signer {} equivocated its {kind:?}", hex_key(signer))]
    Equivocation {
        /// The round message kind.
        kind: Kind,
        /// The signer to blame.
        signer: KeyBytes,
    },
    /// A nonce, partial or final signature is invalid.
    #[error("invalid {kind:?} contribution from signer {}", hex_key(signer))]
    InvalidContribution {
        /// The round message kind.
        kind: Kind,
        /// The signer to blame.
        signer: KeyBytes,
    },
    /// The announcement's session ID does not match its content.
    #[error("session id does not match the announcement")]
    SessionIdMismatch,
    /// An advertisement arrived sooner than the rate limit allows.
    #[error("rate limited ({violations} violations)")]
    RateLimited {
        /// Violations so far.
        violations: u32,
    },
    /// The peer advertises more keys than its identity allows.
    #[error("key cap of {cap} reached")]
    KeyCapExceeded {
        /// The cap for this peer.
        cap: usize,
    },
    /// The message kind is not handled by this entry point.
    #[error("unexpected message kind {0:?}")]
    UnexpectedKind(Kind),
    /// A partial signature arrived while we still miss a nonce; the sender may be ahead of us.
    /// Not penalized: it will be retransmitted.
    #[error("premature {0:?}")]
    Premature(Kind),
    /// A partial signature was made for another aggregate nonce than ours: a signer sent
    /// different nonces to different signers. Nobody can be blamed; a new attempt starts.
    #[error("partial signature made for another nonce set")]
    NonceSetMismatch,
    /// The attempt number is beyond what `max_attempts` allows.
    #[error("attempt {0} out of range")]
    AttemptOutOfRange(u32),
    /// The envelope uses another signature scheme than this node. Ignored.
    #[error("wrong scheme")]
    WrongScheme,
    /// An advertisement names another peer than the one that sent it.
    #[error("advertisement peer id does not match the sender")]
    PeerMismatch,
    /// A key in an announcement is not a valid point.
    #[error("invalid key in announcement")]
    InvalidKey,
    /// The announcement does not name our key: not our session. Ignored.
    #[error("not our session")]
    NotOurSession,
    /// A bound of the [`crate::Config`] is reached (sessions, queues). Try again later.
    #[error("capacity exhausted: {0}")]
    Capacity(&'static str),
    /// A local command is not valid now (wrong phase, unknown session, not a signer).
    #[error("invalid command: {0}")]
    InvalidCommand(&'static str),
    /// The crypto core rejected an input.
    #[error("crypto: {0}")]
    Crypto(#[from] musig2_crypto::Error),
    /// A session envelope arrived from another transport peer than the one its signing key
    /// derives to: a third peer forwarded (or replayed) it. Dropped before any replay state
    /// is touched, so the real sender's own copy is still accepted; the forwarder is penalized.
    #[error("envelope of another peer's key forwarded")]
    Forwarded,
    /// An announcement's `created_at` lies beyond the clock skew in the future, or its
    /// `expires_at` beyond the maximum session lifetime from now. Dropped and penalized.
    #[error("announcement times out of range")]
    AnnouncementTimes,
    /// An advertisement's `expires_at` lies beyond the maximum advertisement lifetime (plus
    /// the clock skew) from now. Dropped and penalized.
    #[error("advertisement lifetime out of range")]
    AdvertLifetime,
    /// An `Accept` answers a signing request this node never sent to that key.
    #[error("accept for a request never sent to this key")]
    UnsolicitedAccept,
}

fn hex_key(k: &KeyBytes) -> String {
    k.iter().map(|b| format!("{b:02x}")).collect()
}

impl Error {
    /// The misbehaviour this error blames on the sending peer, or `None` when nobody is at
    /// fault (local errors, dropped-unread messages, stale attempts).
    pub fn offence(&self) -> Option<Offence> {
        Some(match self {
            Self::Decode(_) | Self::InvalidKey | Self::AttemptOutOfRange(_) => Offence::Malformed,
            Self::PeerMismatch => Offence::ForgedSignature,
            Self::InvalidSignature | Self::InvalidSenderKey => Offence::ForgedSignature,
            Self::Forwarded | Self::UnsolicitedAccept => Offence::NotASigner,
            Self::AnnouncementTimes | Self::AdvertLifetime => Offence::Malformed,
            Self::Duplicate { .. } => Offence::Duplicate,
            Self::SeqRegression { .. } => Offence::Regression,
            Self::UnknownSession | Self::SessionExpired => Offence::UnknownSession,
            Self::NotASigner | Self::SessionIdMismatch => Offence::NotASigner,
            Self::OutOfPhase { .. } => Offence::OutOfPhase,
            Self::Equivocation { .. } => Offence::Equivocation,
            Self::InvalidContribution { .. } => Offence::InvalidContribution,
            Self::RateLimited { .. } => Offence::RateLimited,
            Self::KeyCapExceeded { .. } => Offence::KeyCap,
            // An honest peer's clock may be off: its messages are refused, not punished.
            Self::BadTimestamp { .. }
            | Self::Blacklisted
            | Self::Graylisted
            | Self::StaleAttempt(_)
            | Self::Premature(_)
            | Self::NonceSetMismatch
            | Self::WrongScheme
            | Self::NotOurSession
            | Self::UnexpectedKind(_)
            | Self::Capacity(_)
            | Self::InvalidCommand(_)
            | Self::Crypto(_) => return None,
        })
    }
}

impl Error {
    /// The signer key this error blames for a cryptographically wrong or conflicting
    /// contribution, when it names one.
    pub fn culprit(&self) -> Option<KeyBytes> {
        match self {
            Self::Equivocation { signer, .. } | Self::InvalidContribution { signer, .. } => {
                Some(*signer)
            }
            _ => None,
        }
    }

    /// A stable camelCase code for the error, for applications and logs (the message text
    /// may change; the code does not).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Decode(_) => "malformed",
            Self::InvalidSignature => "invalidSignature",
            Self::InvalidSenderKey => "invalidSenderKey",
            Self::Blacklisted => "blacklisted",
            Self::Graylisted => "graylisted",
            Self::BadTimestamp { .. } => "clockSkew",
            Self::Duplicate { .. } => "duplicate",
            Self::SeqRegression { .. } => "seqRegression",
            Self::UnknownSession => "unknownSession",
            Self::SessionExpired => "sessionExpired",
            Self::NotASigner => "notASigner",
            Self::OutOfPhase { .. } => "outOfPhase",
            Self::StaleAttempt(_) => "staleAttempt",
            Self::Equivocation { .. } => "equivocation",
            Self::InvalidContribution { .. } => "invalidContribution",
            Self::SessionIdMismatch => "sessionIdMismatch",
            Self::RateLimited { .. } => "rateLimited",
            Self::KeyCapExceeded { .. } => "keyCap",
            Self::UnexpectedKind(_) => "unexpectedKind",
            Self::Premature(_) => "premature",
            Self::NonceSetMismatch => "nonceSetMismatch",
            Self::AttemptOutOfRange(_) => "attemptOutOfRange",
            Self::WrongScheme => "wrongScheme",
            Self::PeerMismatch => "peerMismatch",
            Self::InvalidKey => "invalidKey",
            Self::NotOurSession => "notOurSession",
            Self::Capacity(_) => "capacity",
            Self::InvalidCommand(_) => "invalidCommand",
            Self::Crypto(_) => "crypto",
            Self::Forwarded => "forwarded",
            Self::AnnouncementTimes => "announcementTimes",
            Self::AdvertLifetime => "advertLifetime",
            Self::UnsolicitedAccept => "unsolicitedAccept",
        }
    }
}
