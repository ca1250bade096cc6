//! Deterministic binary encoding of protocol.md §2–§3: hand-written, length-checked, never
//! panicking on untrusted input.

pub(crate) mod codec;
mod envelope;
mod messages;

pub use envelope::{Envelope, ENVELOPE_TAG};
pub use messages::{
    Abort, AbortReason, Advertisement, Announcement, IdentityClaim, KeyBytes, Kind, Message,
    OutPoint, SigningRequest, TweakSpec, MAX_SESSION_LIFETIME_MS,
};

use crate::error::DecodeError;

/// Protocol version byte.
pub const VERSION: u8 = 1;
/// Largest envelope accepted or produced, in bytes.
pub const MAX_ENVELOPE_LEN: usize = 65_536;
/// Fixed header length before the body.
pub const HEADER_LEN: usize = 92;
/// Length of the trailing signature.
pub const SIGNATURE_LEN: usize = 64;
/// Most signers in a session.
pub const MAX_SIGNERS: usize = 64;
/// Longest message to sign.
pub const MAX_MESSAGE_LEN: usize = 1024;
/// Longest transaction-type string.
pub const MAX_TX_TYPE_LEN: usize = 32;
/// Most transaction types in one advertisement.
pub const MAX_TX_TYPES: usize = 8;
/// Longest peer ID in an advertisement.
pub const MAX_PEER_ID_LEN: usize = 64;

/// Signature scheme code of the envelope (protocol.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SchemeId {
    /// BIP-327 MuSig2 with BIP-340 signatures.
    Bip327 = 0,
    /// The Lotus MuSig2 scheme with Lotus Schnorr signatures.
    Lotus = 1,
}

impl SchemeId {
    /// Parses a scheme code.
    ///
    /// # Errors
    /// [`DecodeError::InvalidCode`] for codes other than 0 and 1.
    pub fn from_code(code: u8) -> Result<Self, DecodeError> {
        match code {
            0 => Ok(Self::Bip327),
            1 => Ok(Self::Lotus),
            other => Err(DecodeError::InvalidCode {
                field: "scheme",
                code: other,
            }),
        }
    }
}

/// A fresh writer (for canonical encodings computed outside this module).
pub(crate) fn codec_writer() -> codec::Writer {
    codec::Writer::default()
}

/// Checks a transaction-type name: 1..=`MAX_TX_TYPE_LEN` bytes of `a-z`, `0-9`, `_`, `-`.
///
/// # Errors
/// [`DecodeError::InvalidTxType`] otherwise.
pub fn check_tx_type(name: &str) -> Result<(), DecodeError> {
    codec::validate_tx_type(name.as_bytes())
}

/// GossipSub topic of signer advertisements for a transaction type.
pub fn signers_topic(tx_type: &str) -> String {
    format!("musig2:signers:{tx_type}")
}

#[cfg(test)]
mod tests;
