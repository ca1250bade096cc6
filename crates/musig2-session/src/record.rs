//! Validation of the DHT records a Kademlia server stores (protocol.md §5.1): the pure check
//! every DHT server (the relay, and any relay of a federation) runs before it stores a PUT.
//!
//! A record is valid when its value is a signed session-announcement envelope whose
//! signature verifies for its sender, whose session ID is both the record key and the hash
//! of the announcement, whose sender is one of the announced signers, and whose times are
//! sane at `now`. Anything else is garbage a stranger can produce for free, and must never
//! be stored or replace a valid record.

use crate::crypto::{schnorr_verify, PublicKey, Signature};
use crate::error::Error;
use crate::machine::{scheme_of, session_id};
use crate::wire::{Envelope, KeyBytes, Message, SchemeId, MAX_SESSION_LIFETIME_MS};

/// Clock skew a DHT server tolerates on an announcement's `created_at`, in ms (the session
/// layer's default `max_clock_skew_ms`).
pub const RECORD_CLOCK_SKEW_MS: u64 = 30_000;

/// What a valid announcement record holds, for the server's bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInfo {
    /// The session ID (equal to the record key).
    pub session_id: [u8; 32],
    /// The signature scheme of the session.
    pub scheme: SchemeId,
    /// The signer key that signed the envelope (one of the announced signers).
    pub sender: KeyBytes,
    /// When the session, and so the record, expires (ms since the Unix epoch).
    pub expires_at: u64,
}

/// Checks that `value` is a valid session-announcement record to store under `key` at
/// `now` (ms since the Unix epoch).
///
/// # Errors
/// - [`Error::Decode`]: the value is not an envelope (garbage, oversized, truncated).
/// - [`Error::UnexpectedKind`]: an envelope of another kind than an announcement.
/// - [`Error::InvalidSenderKey`] / [`Error::InvalidSignature`]: the envelope is not signed
///   by its sender.
/// - [`Error::SessionIdMismatch`]: the key, the envelope's session ID and the hash of the
///   announcement are not all equal.
/// - [`Error::NotASigner`]: the sender is not one of the announced signers.
/// - [`Error::SessionExpired`]: the session expired at `now`.
/// - [`Error::AnnouncementTimes`]: `created_at` lies beyond [`RECORD_CLOCK_SKEW_MS`] in the
///   future, or `expires_at` more than [`MAX_SESSION_LIFETIME_MS`] from `now`.
///
/// # Security
/// Pure and bounded: one decode (at most `MAX_ENVELOPE_LEN` bytes), one hash of the
/// announcement and one Schnorr verification; never panics on any input.
pub fn validate_announcement_record(
    key: &[u8],
    value: &[u8],
    now: u64,
) -> Result<RecordInfo, Error> {
    let env = Envelope::decode(value)?;
    let ann = match &env.message {
        Message::Announcement(ann) => ann,
        other => return Err(Error::UnexpectedKind(other.kind())),
    };
    let pk = PublicKey::from_bytes(&env.sender).map_err(|_| Error::InvalidSenderKey)?;
    let sig = Signature::from_bytes(&env.signature).map_err(|_| Error::InvalidSignature)?;
    if !schnorr_verify(scheme_of(env.scheme), &pk, &env.digest(), &sig) {
        return Err(Error::InvalidSignature);
    }
    if key != env.session_id.as_slice() || session_id(env.scheme, ann) != env.session_id {
        return Err(Error::SessionIdMismatch);
    }
    if !ann.signers.contains(&env.sender) {
        return Err(Error::NotASigner);
    }
    if ann.expires_at <= now {
        return Err(Error::SessionExpired);
    }
    if ann.created_at > now.saturating_add(RECORD_CLOCK_SKEW_MS)
        || ann.expires_at > now.saturating_add(MAX_SESSION_LIFETIME_MS)
    {
        return Err(Error::AnnouncementTimes);
    }
    Ok(RecordInfo {
        session_id: env.session_id,
        scheme: env.scheme,
        sender: env.sender,
        expires_at: ann.expires_at,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::crypto::Scheme;
    use crate::crypto::{schnorr_sign, SecretKey};
    use crate::wire::TweakSpec;
    use crate::{Config, Destination, ElectionMethod, Machine, SessionParams};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const NOW: u64 = 1_700_000_000_000;

    fn key(b: u8) -> SecretKey {
        SecretKey::from_bytes(&[b; 32]).unwrap()
    }

    /// The DHT record (key, value) a creator with key `1` publishes for a 2-signer session.
    fn record(scheme: Scheme) -> ([u8; 32], Vec<u8>) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut m = Machine::new(Config::default(), scheme, key(1), NOW, [1; 32]);
        let params = SessionParams {
            signers: vec![
                key(1).public_key().to_bytes(),
                key(2).public_key().to_bytes(),
            ],
            message: vec![0x5a; 32],
            tweak: TweakSpec::None,
            election: ElectionMethod::Lexicographic,
            tx_type: "spend".into(),
        };
        let id = m.create_session(NOW, params, &mut rng).unwrap();
        while let Some(t) = m.poll_transmit() {
            if t.to == Destination::DhtPut(id) {
                return (id, t.bytes);
            }
        }
        panic!("no DHT put");
    }

    fn resign(env: &mut Envelope, sk: &SecretKey, scheme: Scheme) {
        env.sender = sk.public_key().to_bytes();
        env.signature = schnorr_sign(scheme, sk, &env.digest(), [9; 32])
            .unwrap()
            .to_bytes();
    }

    #[test]
    fn a_valid_record_of_each_scheme_is_accepted() {
        for scheme in [Scheme::Bip327, Scheme::Lotus] {
            let (id, value) = record(scheme);
            let info = validate_announcement_record(&id, &value, NOW).unwrap();
            assert_eq!(info.session_id, id);
            assert_eq!(info.sender, key(1).public_key().to_bytes());
            assert!(info.expires_at > NOW);
        }
    }

    #[test]
    fn garbage_and_other_kinds_are_refused() {
        let (id, value) = record(Scheme::Bip327);
        for junk in [&b""[..], b"garbage", &[0u8; 300][..]] {
            assert!(matches!(
                validate_announcement_record(&id, junk, NOW),
                Err(Error::Decode(_))
            ));
        }
        let mut env = Envelope::decode(&value).unwrap();
        env.message = Message::Accept;
        resign(&mut env, &key(1), Scheme::Bip327);
        assert!(matches!(
            validate_announcement_record(&id, &env.encode(), NOW),
            Err(Error::UnexpectedKind(_))
        ));
    }

    #[test]
    fn a_record_under_another_key_is_refused() {
        let (id, value) = record(Scheme::Bip327);
        let mut other = id;
        other[0] ^= 1;
        assert_eq!(
            validate_announcement_record(&other, &value, NOW),
            Err(Error::SessionIdMismatch)
        );
        assert_eq!(
            validate_announcement_record(&id[..31], &value, NOW),
            Err(Error::SessionIdMismatch)
        );
        // A signed envelope whose session ID field matches the key but not its content.
        let mut env = Envelope::decode(&value).unwrap();
        env.session_id = other;
        resign(&mut env, &key(1), Scheme::Bip327);
        assert_eq!(
            validate_announcement_record(&other, &env.encode(), NOW),
            Err(Error::SessionIdMismatch)
        );
    }

    #[test]
    fn a_tampered_signature_or_content_is_refused() {
        let (id, value) = record(Scheme::Bip327);
        let mut bad = value.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            validate_announcement_record(&id, &bad, NOW),
            Err(Error::InvalidSignature)
        ));
        let mut env = Envelope::decode(&value).unwrap();
        env.seq += 1;
        assert_eq!(
            validate_announcement_record(&id, &env.encode(), NOW),
            Err(Error::InvalidSignature)
        );
        env.sender = [0xff; 33];
        assert_eq!(
            validate_announcement_record(&id, &env.encode(), NOW),
            Err(Error::InvalidSenderKey)
        );
    }

    #[test]
    fn a_record_signed_by_a_key_outside_the_signer_set_is_refused() {
        let (id, value) = record(Scheme::Bip327);
        let mut env = Envelope::decode(&value).unwrap();
        resign(&mut env, &key(3), Scheme::Bip327);
        assert_eq!(
            validate_announcement_record(&id, &env.encode(), NOW),
            Err(Error::NotASigner)
        );
        // The other announced signer may sign it.
        resign(&mut env, &key(2), Scheme::Bip327);
        assert!(validate_announcement_record(&id, &env.encode(), NOW).is_ok());
    }

    #[test]
    fn expired_and_far_future_records_are_refused() {
        let (id, value) = record(Scheme::Bip327);
        let info = validate_announcement_record(&id, &value, NOW).unwrap();
        assert_eq!(
            validate_announcement_record(&id, &value, info.expires_at),
            Err(Error::SessionExpired)
        );
        assert!(validate_announcement_record(&id, &value, info.expires_at - 1).is_ok());
        // Seen by a server whose clock is far behind: created beyond the skew in the future.
        let early = NOW - RECORD_CLOCK_SKEW_MS - 1;
        assert_eq!(
            validate_announcement_record(&id, &value, early),
            Err(Error::AnnouncementTimes)
        );
        assert!(validate_announcement_record(&id, &value, NOW - RECORD_CLOCK_SKEW_MS).is_ok());
        // An announcement that created itself far in the future, consistently signed.
        let mut env = Envelope::decode(&value).unwrap();
        let Message::Announcement(ann) = &mut env.message else {
            panic!("not an announcement");
        };
        ann.created_at = NOW + 10 * MAX_SESSION_LIFETIME_MS;
        ann.expires_at = ann.created_at + 60_000;
        let far = session_id(env.scheme, ann);
        env.session_id = far;
        resign(&mut env, &key(1), Scheme::Bip327);
        assert_eq!(
            validate_announcement_record(&far, &env.encode(), NOW),
            Err(Error::AnnouncementTimes)
        );
    }
}
