//! Message bodies (protocol.md §3): one type per kind, hand-written encoders and decoders.

use super::codec::{validate_tx_type, Reader, Writer};
use super::{MAX_MESSAGE_LEN, MAX_PEER_ID_LEN, MAX_SIGNERS, MAX_TX_TYPES};
use crate::election::ElectionMethod;
use crate::error::DecodeError;

/// A 33-byte compressed public key as it travels on the wire (validated as a point later).
pub type KeyBytes = [u8; 33];

/// Message kind codes (protocol.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// A new session: signers, message and parameters.
    SessionAnnouncement = 1,
    /// A signer takes part in a session.
    Join = 2,
    /// A signer agrees to a signing request.
    Accept = 3,
    /// A signer's public nonce (round 1).
    NonceShare = 4,
    /// A signer's partial signature (round 2).
    PartialSigShare = 5,
    /// A signer ends the session.
    Abort = 6,
    /// The final signature.
    SignatureNotice = 7,
    /// A key offered for signing per transaction type.
    SignerAdvertisement = 8,
    /// An invitation to sign, before a session exists.
    SigningRequest = 9,
    /// Liveness.
    Heartbeat = 10,
}

impl Kind {
    /// Parses a kind code.
    ///
    /// # Errors
    /// [`DecodeError::UnknownKind`] for codes outside 1..=10.
    pub fn from_code(code: u8) -> Result<Self, DecodeError> {
        Ok(match code {
            1 => Self::SessionAnnouncement,
            2 => Self::Join,
            3 => Self::Accept,
            4 => Self::NonceShare,
            5 => Self::PartialSigShare,
            6 => Self::Abort,
            7 => Self::SignatureNotice,
            8 => Self::SignerAdvertisement,
            9 => Self::SigningRequest,
            10 => Self::Heartbeat,
            other => return Err(DecodeError::UnknownKind(other)),
        })
    }

    /// Largest body of this kind, in bytes.
    pub fn max_body_len(self) -> usize {
        match self {
            Self::SessionAnnouncement | Self::SigningRequest => 8192,
            Self::Join | Self::Accept => 0,
            Self::NonceShare => 66,
            Self::PartialSigShare => 98,
            Self::Abort => 130,
            Self::SignatureNotice => 64,
            Self::SignerAdvertisement => 512,
            Self::Heartbeat => 9,
        }
    }
}

/// Key tweak applied to the aggregate key (protocol.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TweakSpec {
    /// The plain aggregate key.
    None,
    /// A Taproot output key, with the script-tree Merkle root if there is one.
    Taproot {
        /// Merkle root of the script tree.
        merkle_root: Option<[u8; 32]>,
    },
}

/// Body of a `SessionAnnouncement` (protocol.md §3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// Coordinator election method.
    pub election: ElectionMethod,
    /// Key tweak.
    pub tweak: TweakSpec,
    /// Signer keys in the creator's order, 2..=64, distinct.
    pub signers: Vec<KeyBytes>,
    /// The message to sign, 1..=1024 bytes.
    pub message: Vec<u8>,
    /// Transaction type.
    pub tx_type: String,
    /// Random salt distinguishing repeated sessions.
    pub salt: [u8; 32],
    /// Creation time (ms since epoch).
    pub created_at: u64,
    /// Expiry time (ms since epoch).
    pub expires_at: u64,
}

/// Longest session lifetime accepted: one day.
pub const MAX_SESSION_LIFETIME_MS: u64 = 86_400_000;

impl Announcement {
    /// Encodes the body, with signers sorted when `sorted` (the canonical form of §4).
    pub(crate) fn encode_into(&self, w: &mut Writer, sorted: bool) {
        w.u8(self.election.code());
        match self.tweak {
            TweakSpec::None => w.u8(0),
            TweakSpec::Taproot { merkle_root: None } => w.u8(1),
            TweakSpec::Taproot {
                merkle_root: Some(root),
            } => {
                w.u8(2);
                w.put(&root);
            }
        }
        let mut signers = self.signers.clone();
        if sorted {
            signers.sort_unstable();
        }
        w.u16(u16::try_from(signers.len()).unwrap_or(u16::MAX));
        signers.iter().for_each(|k| w.put(k));
        w.bytes_u16(&self.message);
        w.bytes_u8(self.tx_type.as_bytes());
        w.put(&self.salt);
        w.u64(self.created_at);
        w.u64(self.expires_at);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let election = ElectionMethod::from_code(r.u8()?)?;
        let tweak = match r.u8()? {
            0 => TweakSpec::None,
            1 => TweakSpec::Taproot { merkle_root: None },
            2 => TweakSpec::Taproot {
                merkle_root: Some(r.array()?),
            },
            other => {
                return Err(DecodeError::InvalidCode {
                    field: "tweak",
                    code: other,
                })
            }
        };
        let signers = decode_keys(r, 2)?;
        let message = r.bytes_u16(1, MAX_MESSAGE_LEN)?.to_vec();
        let tx_type = r.tx_type()?;
        let salt = r.array()?;
        let created_at = r.u64()?;
        let expires_at = r.u64()?;
        let a = Self {
            election,
            tweak,
            signers,
            message,
            tx_type,
            salt,
            created_at,
            expires_at,
        };
        a.validate()?;
        Ok(a)
    }

    /// Checks every bound of §3.1.
    ///
    /// # Errors
    /// The [`DecodeError`] naming the first violated rule.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_keys(&self.signers, 2)?;
        if self.message.is_empty() || self.message.len() > MAX_MESSAGE_LEN {
            return Err(DecodeError::LengthOutOfRange {
                len: self.message.len(),
                min: 1,
                max: MAX_MESSAGE_LEN,
            });
        }
        validate_tx_type(self.tx_type.as_bytes())?;
        let lifetime = self.expires_at.saturating_sub(self.created_at);
        if lifetime == 0 || lifetime > MAX_SESSION_LIFETIME_MS {
            return Err(DecodeError::InvalidLifetime);
        }
        Ok(())
    }
}

/// Reason codes of an `Abort` (protocol.md §3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AbortReason {
    /// The signer declined to take part.
    Declined = 0,
    /// A deadline passed.
    Timeout = 1,
    /// Another signer misbehaved.
    Misbehaviour = 2,
    /// The application aborted.
    Local = 3,
    /// Too many attempts.
    TooManyAttempts = 4,
}

impl AbortReason {
    fn from_code(code: u8) -> Result<Self, DecodeError> {
        Ok(match code {
            0 => Self::Declined,
            1 => Self::Timeout,
            2 => Self::Misbehaviour,
            3 => Self::Local,
            4 => Self::TooManyAttempts,
            other => {
                return Err(DecodeError::InvalidCode {
                    field: "abort reason",
                    code: other,
                })
            }
        })
    }
}

/// Body of an `Abort`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Abort {
    /// Why.
    pub reason: AbortReason,
    /// Free text, at most 128 bytes of UTF-8.
    pub detail: String,
}

/// A burn-based identity claim (protocol.md §3.8, §7.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityClaim {
    /// Registration burn output.
    pub registration: OutPoint,
    /// Latest rotation burn output, if the identity was rotated to the advertised key.
    pub rotation: Option<OutPoint>,
}

/// A transaction output reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutPoint {
    /// Transaction ID.
    pub txid: [u8; 32],
    /// Output index.
    pub vout: u32,
}

/// Body of a `SignerAdvertisement` (protocol.md §3.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advertisement {
    /// Transaction types the key signs, 1..=8.
    pub tx_types: Vec<String>,
    /// The advertising libp2p peer ID bytes, 1..=64.
    pub peer_id: Vec<u8>,
    /// Optional identity claim.
    pub identity: Option<IdentityClaim>,
    /// Expiry (ms since epoch).
    pub expires_at: u64,
}

/// Body of a `SigningRequest` (protocol.md §3.9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningRequest {
    /// Transaction type.
    pub tx_type: String,
    /// Message to sign.
    pub message: Vec<u8>,
    /// Proposed signers, 1..=64, distinct.
    pub signers: Vec<KeyBytes>,
    /// Expiry (ms since epoch).
    pub expires_at: u64,
}

/// A decoded message body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// See [`Announcement`].
    Announcement(Announcement),
    /// Join a session.
    Join,
    /// Accept a signing request.
    Accept,
    /// A 66-byte public nonce.
    NonceShare([u8; 66]),
    /// A partial signature, bound to the aggregate nonce it was made for (so a receiver that
    /// aggregated a different nonce set knows a nonce was equivocated, instead of blaming the
    /// sender).
    PartialSigShare {
        /// The 32-byte partial signature.
        psig: [u8; 32],
        /// The 66-byte aggregate nonce the signer used.
        aggnonce: [u8; 66],
    },
    /// See [`Abort`].
    Abort(Abort),
    /// A 64-byte final signature.
    SignatureNotice([u8; 64]),
    /// See [`Advertisement`].
    Advertisement(Advertisement),
    /// See [`SigningRequest`].
    SigningRequest(SigningRequest),
    /// Liveness, with the sender's phase and what it holds of that phase.
    Heartbeat {
        /// Sender's phase code (protocol.md §5.1).
        phase: u8,
        /// Bit `i` set: the sender holds signer `i`'s contribution to that phase (signers in
        /// announced order).
        have: u64,
    },
}

impl Message {
    /// This message's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Announcement(_) => Kind::SessionAnnouncement,
            Self::Join => Kind::Join,
            Self::Accept => Kind::Accept,
            Self::NonceShare(_) => Kind::NonceShare,
            Self::PartialSigShare { .. } => Kind::PartialSigShare,
            Self::Abort(_) => Kind::Abort,
            Self::SignatureNotice(_) => Kind::SignatureNotice,
            Self::Advertisement(_) => Kind::SignerAdvertisement,
            Self::SigningRequest(_) => Kind::SigningRequest,
            Self::Heartbeat { .. } => Kind::Heartbeat,
        }
    }

    /// Checks every bound of the body, so that encoding then decoding gives it back.
    ///
    /// # Errors
    /// The [`DecodeError`] naming the first violated rule.
    pub fn validate(&self) -> Result<(), DecodeError> {
        match self {
            Self::Announcement(a) => a.validate(),
            Self::Abort(a) if a.detail.len() > 128 => Err(DecodeError::LengthOutOfRange {
                len: a.detail.len(),
                min: 0,
                max: 128,
            }),
            Self::Advertisement(a) => {
                check_count(a.tx_types.len(), 1, MAX_TX_TYPES)?;
                a.tx_types
                    .iter()
                    .try_for_each(|t| validate_tx_type(t.as_bytes()))?;
                check_count(a.peer_id.len(), 1, MAX_PEER_ID_LEN)
            }
            Self::SigningRequest(s) => {
                validate_tx_type(s.tx_type.as_bytes())?;
                check_count(s.message.len(), 1, MAX_MESSAGE_LEN)?;
                check_keys(&s.signers, 1)
            }
            Self::Heartbeat { phase, .. } if *phase > 8 => Err(DecodeError::InvalidCode {
                field: "phase",
                code: *phase,
            }),
            _ => Ok(()),
        }
    }

    /// Encodes the body (without envelope). The message must be valid ([`Message::validate`]).
    pub fn encode_body(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            Self::Announcement(a) => a.encode_into(&mut w, false),
            Self::Join | Self::Accept => {}
            Self::NonceShare(n) => w.put(n),
            Self::PartialSigShare { psig, aggnonce } => {
                w.put(psig);
                w.put(aggnonce);
            }
            Self::Abort(a) => {
                w.u8(a.reason as u8);
                w.bytes_u8(a.detail.as_bytes());
            }
            Self::SignatureNotice(s) => w.put(s),
            Self::Advertisement(a) => {
                w.u8(u8::try_from(a.tx_types.len()).unwrap_or(u8::MAX));
                a.tx_types.iter().for_each(|t| w.bytes_u8(t.as_bytes()));
                w.bytes_u8(&a.peer_id);
                match &a.identity {
                    None => w.u8(0),
                    Some(c) => {
                        w.u8(if c.rotation.is_some() { 2 } else { 1 });
                        put_outpoint(&mut w, &c.registration);
                        if let Some(rot) = &c.rotation {
                            put_outpoint(&mut w, rot);
                        }
                    }
                }
                w.u64(a.expires_at);
            }
            Self::SigningRequest(s) => {
                w.bytes_u8(s.tx_type.as_bytes());
                w.bytes_u16(&s.message);
                w.u16(u16::try_from(s.signers.len()).unwrap_or(u16::MAX));
                s.signers.iter().for_each(|k| w.put(k));
                w.u64(s.expires_at);
            }
            Self::Heartbeat { phase, have } => {
                w.u8(*phase);
                w.u64(*have);
            }
        }
        w.buf
    }

    /// Decodes a body of the given kind.
    ///
    /// # Errors
    /// A [`DecodeError`] for any truncated, oversized, trailing or out-of-range input.
    pub fn decode_body(kind: Kind, body: &[u8]) -> Result<Self, DecodeError> {
        if body.len() > kind.max_body_len() {
            return Err(DecodeError::BodyTooLong {
                len: body.len(),
                max: kind.max_body_len(),
            });
        }
        let mut r = Reader::new(body);
        let msg = match kind {
            Kind::SessionAnnouncement => Self::Announcement(Announcement::decode(&mut r)?),
            Kind::Join => Self::Join,
            Kind::Accept => Self::Accept,
            Kind::NonceShare => Self::NonceShare(r.array()?),
            Kind::PartialSigShare => Self::PartialSigShare {
                psig: r.array()?,
                aggnonce: r.array()?,
            },
            Kind::Abort => {
                let reason = AbortReason::from_code(r.u8()?)?;
                let detail = core::str::from_utf8(r.bytes_u8(0, 128)?)
                    .map_err(|_| DecodeError::InvalidUtf8)?
                    .to_owned();
                Self::Abort(Abort { reason, detail })
            }
            Kind::SignatureNotice => Self::SignatureNotice(r.array()?),
            Kind::SignerAdvertisement => {
                let n = usize::from(r.u8()?);
                check_count(n, 1, MAX_TX_TYPES)?;
                let tx_types = (0..n).map(|_| r.tx_type()).collect::<Result<Vec<_>, _>>()?;
                let peer_id = r.bytes_u8(1, MAX_PEER_ID_LEN)?.to_vec();
                let identity = match r.u8()? {
                    0 => None,
                    tag @ (1 | 2) => Some(IdentityClaim {
                        registration: get_outpoint(&mut r)?,
                        rotation: if tag == 2 {
                            Some(get_outpoint(&mut r)?)
                        } else {
                            None
                        },
                    }),
                    other => {
                        return Err(DecodeError::InvalidCode {
                            field: "identity",
                            code: other,
                        })
                    }
                };
                let expires_at = r.u64()?;
                Self::Advertisement(Advertisement {
                    tx_types,
                    peer_id,
                    identity,
                    expires_at,
                })
            }
            Kind::SigningRequest => {
                let tx_type = r.tx_type()?;
                let message = r.bytes_u16(1, MAX_MESSAGE_LEN)?.to_vec();
                let signers = decode_keys(&mut r, 1)?;
                let expires_at = r.u64()?;
                Self::SigningRequest(SigningRequest {
                    tx_type,
                    message,
                    signers,
                    expires_at,
                })
            }
            Kind::Heartbeat => Self::Heartbeat {
                phase: r.u8()?,
                have: r.u64()?,
            },
        };
        r.finish()?;
        msg.validate()?;
        Ok(msg)
    }
}

fn put_outpoint(w: &mut Writer, o: &OutPoint) {
    w.put(&o.txid);
    w.u32(o.vout);
}

fn get_outpoint(r: &mut Reader<'_>) -> Result<OutPoint, DecodeError> {
    Ok(OutPoint {
        txid: r.array()?,
        vout: r.u32()?,
    })
}

fn check_count(n: usize, min: usize, max: usize) -> Result<(), DecodeError> {
    if n < min || n > max {
        return Err(DecodeError::LengthOutOfRange { len: n, min, max });
    }
    Ok(())
}

fn decode_keys(r: &mut Reader<'_>, min: usize) -> Result<Vec<KeyBytes>, DecodeError> {
    let n = usize::from(r.u16()?);
    check_count(n, min, MAX_SIGNERS)?;
    let keys = (0..n)
        .map(|_| r.array())
        .collect::<Result<Vec<KeyBytes>, _>>()?;
    check_keys(&keys, min)?;
    Ok(keys)
}

fn check_keys(keys: &[KeyBytes], min: usize) -> Result<(), DecodeError> {
    check_count(keys.len(), min, MAX_SIGNERS)?;
    let mut sorted = keys.to_vec();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(DecodeError::DuplicateSigner);
    }
    Ok(())
}
