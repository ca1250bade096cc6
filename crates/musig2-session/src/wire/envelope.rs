//! The signed envelope around every message (protocol.md §2).

use musig2_crypto::hash::tagged_hash;

use super::codec::{Reader, Writer};
use super::messages::{KeyBytes, Kind, Message};
use super::{SchemeId, HEADER_LEN, MAX_ENVELOPE_LEN, SIGNATURE_LEN, VERSION};
use crate::error::DecodeError;

/// Domain-separation tag of the envelope signature digest.
pub const ENVELOPE_TAG: &str = "musig2-p2p/v1/envelope";

/// A decoded envelope. Nothing in it may be trusted before its signature is verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Signature scheme of the sender's key.
    pub scheme: SchemeId,
    /// Session ID, request ID, or zero for advertisements.
    pub session_id: [u8; 32],
    /// Sender's compressed public key.
    pub sender: KeyBytes,
    /// Signing attempt within the session.
    pub attempt: u32,
    /// Sender's sequence number.
    pub seq: u64,
    /// Sender's clock in ms since the Unix epoch.
    pub timestamp: u64,
    /// The body.
    pub message: Message,
    /// Sender's signature over [`Envelope::digest`].
    pub signature: [u8; 64],
}

impl Envelope {
    fn encode_unsigned(&self) -> Writer {
        let body = self.message.encode_body();
        let mut w = Writer::default();
        w.u8(VERSION);
        w.u8(self.message.kind() as u8);
        w.u8(self.scheme as u8);
        w.put(&self.session_id);
        w.put(&self.sender);
        w.u32(self.attempt);
        w.u64(self.seq);
        w.u64(self.timestamp);
        w.u32(u32::try_from(body.len()).unwrap_or(u32::MAX));
        w.put(&body);
        w
    }

    /// The 32-byte digest the sender signs: the tagged hash of every byte but the signature.
    pub fn digest(&self) -> [u8; 32] {
        tagged_hash(ENVELOPE_TAG, &[&self.encode_unsigned().buf])
    }

    /// Encodes the envelope. The body must be valid ([`Message::validate`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = self.encode_unsigned();
        w.put(&self.signature);
        w.buf
    }

    /// Decodes an envelope, checking every length and bound. Does not verify the signature.
    ///
    /// # Errors
    /// A [`DecodeError`] for oversized, truncated, trailing, wrong-version or invalid input.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_ENVELOPE_LEN {
            return Err(DecodeError::TooLong {
                len: bytes.len(),
                max: MAX_ENVELOPE_LEN,
            });
        }
        if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
            return Err(DecodeError::Truncated);
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let kind = Kind::from_code(r.u8()?)?;
        let scheme = SchemeId::from_code(r.u8()?)?;
        let session_id = r.array()?;
        let sender = r.array()?;
        let attempt = r.u32()?;
        let seq = r.u64()?;
        let timestamp = r.u64()?;
        let body_len = usize::try_from(r.u32()?).unwrap_or(usize::MAX);
        if body_len > kind.max_body_len() {
            return Err(DecodeError::BodyTooLong {
                len: body_len,
                max: kind.max_body_len(),
            });
        }
        let message = Message::decode_body(kind, r.take(body_len)?)?;
        let signature = r.array()?;
        r.finish()?;
        Ok(Self {
            scheme,
            session_id,
            sender,
            attempt,
            seq,
            timestamp,
            message,
            signature,
        })
    }
}
