//! What the machine hands to its driver: messages to send and events to report.

use crate::crypto::Signature;
use crate::identity::IdentityTier;
use crate::peer::PeerId;
use crate::wire::{AbortReason, Announcement, KeyBytes, SigningRequest};

use super::Phase;

/// Where a [`Transmit`] goes. The driver maps signer keys to peers (from advertisements and
/// the connections the messages of that key arrived on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A direct message to the peer holding this signer key.
    Signer(KeyBytes),
    /// A GossipSub publication on this topic.
    Topic(String),
    /// A DHT put: record key = these 32 bytes (the session ID), value = the bytes.
    DhtPut([u8; 32]),
}

/// One encoded, signed envelope to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where.
    pub to: Destination,
    /// The envelope bytes.
    pub bytes: Vec<u8>,
}

/// Something the application or driver should know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A session naming our key was announced; call `join` or `decline`.
    SessionDiscovered {
        /// Session ID.
        session_id: [u8; 32],
        /// Its parameters.
        announcement: Announcement,
    },
    /// The coordinator order of a session is known (at discovery or creation).
    CoordinatorElected {
        /// Session ID.
        session_id: [u8; 32],
        /// Failover order; element 0 coordinates.
        order: Vec<KeyBytes>,
    },
    /// A session entered a new phase.
    PhaseChanged {
        /// Session ID.
        session_id: [u8; 32],
        /// The new phase.
        phase: Phase,
    },
    /// A new signing attempt started (a signer lost its nonce); fresh nonces for everyone.
    NewAttempt {
        /// Session ID.
        session_id: [u8; 32],
        /// The attempt number.
        attempt: u32,
    },
    /// The coordinator failed to deliver; the next signer in the order takes over.
    Failover {
        /// Session ID.
        session_id: [u8; 32],
        /// The signer that failed.
        failed: KeyBytes,
        /// The new coordinator.
        coordinator: KeyBytes,
        /// Failovers so far.
        failures: usize,
    },
    /// The final signature is known and verified.
    SignatureReady {
        /// Session ID.
        session_id: [u8; 32],
        /// The signature.
        signature: Signature,
        /// Whether this node aggregated it as coordinator and should broadcast the transaction.
        broadcast_duty: bool,
    },
    /// The broadcast duty passed to us after the signature was known: the signer that held it
    /// went silent without confirming the signature (see protocol.md §5.2).
    BroadcastDuty {
        /// Session ID.
        session_id: [u8; 32],
        /// The signature to broadcast.
        signature: Signature,
    },
    /// Every signer confirmed the final signature.
    Completed {
        /// Session ID.
        session_id: [u8; 32],
    },
    /// The session was aborted.
    Aborted {
        /// Session ID.
        session_id: [u8; 32],
        /// Who aborted (our own key for a local abort).
        by: KeyBytes,
        /// Why.
        reason: AbortReason,
    },
    /// The session failed.
    Failed {
        /// Session ID.
        session_id: [u8; 32],
        /// Why, in words.
        reason: &'static str,
    },
    /// A signer advertisement passed every check.
    SignerDiscovered {
        /// The advertised key.
        key: KeyBytes,
        /// The advertising peer.
        peer: PeerId,
        /// Transaction types it signs.
        tx_types: Vec<String>,
        /// When the advertisement expires (ms since the Unix epoch).
        expires_at: u64,
        /// Its identity tier.
        tier: IdentityTier,
    },
    /// Someone asks us to sign; answer with `accept_request` or ignore.
    SigningRequested {
        /// Request ID.
        request_id: [u8; 32],
        /// Requester's key.
        from: KeyBytes,
        /// The request.
        request: SigningRequest,
    },
    /// A signer accepted one of our signing requests.
    RequestAccepted {
        /// Request ID.
        request_id: [u8; 32],
        /// Who accepted.
        signer: KeyBytes,
    },
    /// A message arrived for a session we do not know: the driver should fetch the
    /// announcement from the DHT (record key = `session_id`) and pass it to
    /// `handle_dht_record`. Emitted at most once per retransmit interval per session.
    SessionLookup {
        /// Session ID = DHT record key.
        session_id: [u8; 32],
    },
    /// A peer was blacklisted for good; the driver should disconnect it.
    PeerBanned {
        /// The peer.
        peer: PeerId,
    },
    /// A message accepted earlier for later judgement (a partial signature that overtook a
    /// nonce, a round message parked until the local join) turned out to be invalid. `from`
    /// (the transport peer that delivered it) was penalized when the error names an offence;
    /// [`crate::Error::culprit`] names the signer to blame. Messages rejected on receipt are
    /// reported by the driver from `handle_message`'s result instead.
    MessageRejected {
        /// The transport peer that delivered the message.
        from: PeerId,
        /// Why it was rejected.
        error: crate::error::Error,
    },
    /// An advertisement carried an identity claim the verifier has not resolved yet
    /// ([`crate::identity::IdentityVerifier::needs_resolution`]): the driver should resolve
    /// it (e.g. look the burn up on chain) and report the tier with
    /// `Machine::set_identity_tier`. Emitted before the key cap is applied, so a key refused
    /// at the unverified cap is admitted from its next advertisement once its tier is known.
    IdentityClaimSeen {
        /// The advertised key.
        key: KeyBytes,
        /// The advertising peer.
        peer: PeerId,
        /// Its claim.
        claim: crate::wire::IdentityClaim,
    },
}
