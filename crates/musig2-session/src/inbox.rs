//! Inbox records: the sessions waiting for a signer that was offline (protocol.md §4.4).
//!
//! A creator announces a session to each signer directly and stores the announcement in the
//! DHT under its session ID; a signer that was offline knows neither. So the creator also
//! puts, under the DHT key `tagged_hash("musig2-p2p/v1/inbox-key", signer key33)`, an inbox
//! entry naming the session, signed by the creator:
//!
//! `"M2IB" ‖ signer key33 ‖ n u8 ‖ n × entry`,
//! entry = `session_id32 ‖ creator key33 ‖ created_at u64 ‖ expires_at u64 ‖ sig64`
//!
//! (big-endian integers), where `sig64` is a BIP-340 signature by the x-only form of the
//! creator key over `tagged_hash("musig2-p2p/v1/inbox", signer ‖ session_id ‖ creator ‖
//! created_at ‖ expires_at)` (the full creator key is signed: BIP-340 alone would not bind
//! its parity byte). Relays merge every valid PUT into what they hold ([`merge_inbox`]), so one
//! record gathers the entries of many creators; a signer reads it at start, drops what it
//! knows, and fetches the announcements of the rest (which name it, or are refused).
//!
//! Bounds: at most [`MAX_INBOX_ENTRIES`] entries, at most [`MAX_INBOX_PER_CREATOR`] of one
//! creator (the newest are kept), each living at most [`MAX_INBOX_LIFETIME_MS`]. An entry is
//! only a pointer: a forged or stale one costs the reader one DHT look-up and nothing else.

use std::collections::BTreeMap;

use musig2_crypto::hash::tagged_hash;

use crate::crypto::{schnorr_sign, schnorr_verify, PublicKey, Scheme, SecretKey, Signature};
use crate::wire::KeyBytes;

/// Magic of an inbox record.
pub const INBOX_MAGIC: &[u8; 4] = b"M2IB";
/// Most entries in an inbox record.
pub const MAX_INBOX_ENTRIES: usize = 32;
/// Most entries of one creator in an inbox record.
pub const MAX_INBOX_PER_CREATOR: usize = 4;
/// Longest life of an entry, in ms (one day, the longest session lifetime).
pub const MAX_INBOX_LIFETIME_MS: u64 = 86_400_000;
/// How far in the future an entry's `created_at` may lie, in ms (clock skew).
pub const MAX_INBOX_SKEW_MS: u64 = 30_000;
/// Bytes of one encoded entry.
pub const INBOX_ENTRY_LEN: usize = 32 + 33 + 8 + 8 + 64;
const HEADER_LEN: usize = 4 + 33 + 1;
const KEY_TAG: &str = "musig2-p2p/v1/inbox-key";
const SIG_TAG: &str = "musig2-p2p/v1/inbox";

/// Why an inbox record is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InboxError {
    /// Not an inbox record (bad magic, truncated, trailing bytes, too many entries, one
    /// session listed twice by a creator, more than the per-creator bound).
    #[error("malformed inbox record")]
    Malformed,
    /// The record is stored under another key than its signer's inbox key.
    #[error("inbox record under a foreign key")]
    WrongKey,
    /// A creator key is not a valid point, or an entry's signature does not verify.
    #[error("inbox entry not signed by its creator")]
    BadSignature,
    /// An entry is created in the future or lives longer than [`MAX_INBOX_LIFETIME_MS`].
    #[error("inbox entry lifetime out of bounds")]
    Lifetime,
    /// Every entry has expired: nothing left to store or read.
    #[error("inbox record holds no live entry")]
    Empty,
}

impl InboxError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::WrongKey => "inboxKeyMismatch",
            Self::BadSignature => "invalidSignature",
            Self::Lifetime => "inboxLifetime",
            Self::Empty => "inboxEmpty",
        }
    }
}

/// One signed pointer to a session waiting for the inbox's signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    /// The session ID (the DHT key of its announcement).
    pub session_id: [u8; 32],
    /// The key of the creator, which signed the entry.
    pub creator: KeyBytes,
    /// When the entry was made (ms since the Unix epoch).
    pub created_at: u64,
    /// When the entry expires (the session's expiry).
    pub expires_at: u64,
    /// The creator's BIP-340 signature.
    pub sig: [u8; 64],
}

/// A valid inbox record: the signer and its live entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbox {
    /// The signer the sessions wait for.
    pub signer: KeyBytes,
    /// Live entries, newest first (ties by session ID, then creator).
    pub entries: Vec<InboxEntry>,
}

impl Inbox {
    /// When the last entry expires.
    pub fn expires_at(&self) -> u64 {
        self.entries.iter().map(|e| e.expires_at).max().unwrap_or(0)
    }

    /// The record bytes (entries in their canonical order).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.entries.len() * INBOX_ENTRY_LEN);
        out.extend_from_slice(INBOX_MAGIC);
        out.extend_from_slice(&self.signer);
        out.push(u8::try_from(self.entries.len()).unwrap_or(u8::MAX));
        for e in self.entries.iter().take(MAX_INBOX_ENTRIES) {
            out.extend_from_slice(&e.session_id);
            out.extend_from_slice(&e.creator);
            out.extend_from_slice(&e.created_at.to_be_bytes());
            out.extend_from_slice(&e.expires_at.to_be_bytes());
            out.extend_from_slice(&e.sig);
        }
        out
    }
}

/// The DHT key of the inbox record of `signer`.
pub fn inbox_key(signer: &KeyBytes) -> [u8; 32] {
    tagged_hash(KEY_TAG, &[signer])
}

fn digest(signer: &KeyBytes, e: &InboxEntry) -> [u8; 32] {
    tagged_hash(
        SIG_TAG,
        &[
            signer,
            &e.session_id,
            &e.creator,
            &e.created_at.to_be_bytes(),
            &e.expires_at.to_be_bytes(),
        ],
    )
}

/// Signs, as the creator `sk`, an entry telling `signer` about `session_id`, with `aux`
/// randomness; returns the DHT key and the one-entry record to put.
///
/// # Errors
/// [`InboxError::Lifetime`] when `expires_at` is not after `created_at` or lies beyond
/// [`MAX_INBOX_LIFETIME_MS`] from it.
pub fn sign_inbox_entry(
    sk: &SecretKey,
    signer: &KeyBytes,
    session_id: &[u8; 32],
    created_at: u64,
    expires_at: u64,
    aux: [u8; 32],
) -> Result<([u8; 32], Vec<u8>), InboxError> {
    if expires_at <= created_at || expires_at > created_at.saturating_add(MAX_INBOX_LIFETIME_MS) {
        return Err(InboxError::Lifetime);
    }
    let mut entry = InboxEntry {
        session_id: *session_id,
        creator: sk.public_key().to_bytes(),
        created_at,
        expires_at,
        sig: [0; 64],
    };
    let sig = schnorr_sign(Scheme::Bip327, sk, &digest(signer, &entry), aux)
        .map_err(|_| InboxError::BadSignature)?;
    entry.sig = sig.to_bytes();
    let inbox = Inbox {
        signer: *signer,
        entries: vec![entry],
    };
    Ok((inbox_key(signer), inbox.encode()))
}

fn parse_entry(raw: &[u8; INBOX_ENTRY_LEN]) -> Option<InboxEntry> {
    let (session_id, rest) = raw.split_first_chunk::<32>()?;
    let (creator, rest) = rest.split_first_chunk::<33>()?;
    let (created, rest) = rest.split_first_chunk::<8>()?;
    let (expires, sig) = rest.split_first_chunk::<8>()?;
    Some(InboxEntry {
        session_id: *session_id,
        creator: *creator,
        created_at: u64::from_be_bytes(*created),
        expires_at: u64::from_be_bytes(*expires),
        sig: sig.try_into().ok()?,
    })
}

fn verify_entry(signer: &KeyBytes, e: &InboxEntry, now: u64) -> Result<(), InboxError> {
    if e.created_at > now.saturating_add(MAX_INBOX_SKEW_MS)
        || e.expires_at <= e.created_at
        || e.expires_at > e.created_at.saturating_add(MAX_INBOX_LIFETIME_MS)
    {
        return Err(InboxError::Lifetime);
    }
    let pk = PublicKey::from_bytes(&e.creator).map_err(|_| InboxError::BadSignature)?;
    let sig = Signature::from_bytes(&e.sig).map_err(|_| InboxError::BadSignature)?;
    if !schnorr_verify(Scheme::Bip327, &pk, &digest(signer, e), &sig) {
        return Err(InboxError::BadSignature);
    }
    Ok(())
}

/// Checks that `value` is a valid inbox record to store (or read) under `dht_key` at `now`,
/// and returns its live entries (expired ones are dropped, not refused: a relay may serve a
/// record older than some of its entries).
///
/// # Errors
/// An [`InboxError`] saying why not; one bad entry refuses the whole record.
///
/// # Security
/// Pure and bounded (at most 32 × 145 + 38 bytes read, at most 32 BIP-340 verifications);
/// never panics on any input.
pub fn validate_inbox(dht_key: &[u8], value: &[u8], now: u64) -> Result<Inbox, InboxError> {
    let rest = value
        .strip_prefix(INBOX_MAGIC.as_slice())
        .ok_or(InboxError::Malformed)?;
    let (signer, rest) = rest
        .split_first_chunk::<33>()
        .ok_or(InboxError::Malformed)?;
    let (&n, rest) = rest.split_first().ok_or(InboxError::Malformed)?;
    let n = usize::from(n);
    if n > MAX_INBOX_ENTRIES || rest.len() != n.saturating_mul(INBOX_ENTRY_LEN) {
        return Err(InboxError::Malformed);
    }
    if dht_key != inbox_key(signer).as_slice() {
        return Err(InboxError::WrongKey);
    }
    let mut entries = Vec::with_capacity(n);
    let mut per_creator: BTreeMap<KeyBytes, usize> = BTreeMap::new();
    for raw in rest.chunks_exact(INBOX_ENTRY_LEN) {
        let raw: &[u8; INBOX_ENTRY_LEN] = raw.try_into().map_err(|_| InboxError::Malformed)?;
        let e = parse_entry(raw).ok_or(InboxError::Malformed)?;
        let count = per_creator.entry(e.creator).or_insert(0);
        *count += 1;
        let twice = entries
            .iter()
            .any(|x: &InboxEntry| x.session_id == e.session_id && x.creator == e.creator);
        if *count > MAX_INBOX_PER_CREATOR || twice {
            return Err(InboxError::Malformed);
        }
        verify_entry(signer, &e, now)?;
        if e.expires_at > now {
            entries.push(e);
        }
    }
    if entries.is_empty() {
        return Err(InboxError::Empty);
    }
    let mut inbox = Inbox {
        signer: *signer,
        entries,
    };
    canonicalize(&mut inbox);
    Ok(inbox)
}

/// Orders entries newest first and applies the per-creator and total bounds (the newest
/// are kept), so that every relay merging the same entries holds the same bytes.
fn canonicalize(inbox: &mut Inbox) {
    inbox.entries.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.session_id.cmp(&b.session_id))
            .then_with(|| a.creator.cmp(&b.creator))
    });
    let mut per_creator: BTreeMap<KeyBytes, usize> = BTreeMap::new();
    inbox.entries.retain(|e| {
        let count = per_creator.entry(e.creator).or_insert(0);
        *count += 1;
        *count <= MAX_INBOX_PER_CREATOR
    });
    inbox.entries.truncate(MAX_INBOX_ENTRIES);
}

/// The union of two valid inbox records of one signer at `now`: entries expired by then are
/// dropped, an entry present in both is kept once (the later-expiring copy), and the bounds
/// are applied keeping the newest entries. `None` when the signers differ or nothing is left.
pub fn merge_inbox(stored: &Inbox, incoming: &Inbox, now: u64) -> Option<Inbox> {
    if stored.signer != incoming.signer {
        return None;
    }
    let mut by_id: BTreeMap<([u8; 32], KeyBytes), InboxEntry> = BTreeMap::new();
    for e in stored.entries.iter().chain(&incoming.entries) {
        if e.expires_at <= now {
            continue;
        }
        let slot = by_id
            .entry((e.session_id, e.creator))
            .or_insert_with(|| e.clone());
        if e.expires_at > slot.expires_at {
            *slot = e.clone();
        }
    }
    if by_id.is_empty() {
        return None;
    }
    let mut inbox = Inbox {
        signer: stored.signer,
        entries: by_id.into_values().collect(),
    };
    canonicalize(&mut inbox);
    Some(inbox)
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
