//! Protocol identifiers and wire limits of our libp2p network.

use libp2p::StreamProtocol;

/// Request-response protocol for raw direct messages: a diagnostic that proves the path to
/// a peer works (the receiver answers with the SHA-256 of the bytes it got).
pub const DIRECT_PROTOCOL: StreamProtocol = StreamProtocol::new("/musig2-p2p/direct/1.0.0");

/// Stream protocol carrying the signed envelopes of the session protocol (`docs/protocol.md`)
/// as length-prefixed frames on one long-lived stream per direction, without responses; every
/// frame is fed to the receiver's session state machine. Version 1 was a request-response
/// exchange per envelope.
pub const SESSION_PROTOCOL: StreamProtocol = StreamProtocol::new("/musig2-p2p/session/2.0.0");

/// Kademlia protocol name of our own DHT, so we never mix records with the public IPFS DHT.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/musig2-p2p/kad/1.0.0");

/// Identify protocol version string announced by every peer of this network.
pub const IDENTIFY_PROTOCOL_VERSION: &str = "/musig2-p2p/1.0.0";

/// Largest direct request accepted or sent, in bytes. Session messages are far smaller.
pub const MAX_DIRECT_REQUEST_BYTES: usize = 64 * 1024;

/// Largest direct response accepted or sent, in bytes (responses are short acknowledgements).
pub const MAX_DIRECT_RESPONSE_BYTES: usize = 4 * 1024;
