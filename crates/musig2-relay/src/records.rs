//! The gate in front of the relay's Kademlia record store (protocol.md §5.1).
//!
//! Kademlia runs with `StoreInserts::FilterBoth`: an inbound PUT is handed to the relay, which
//! stores it only if [`RecordGuard::admit`] says so. A record is stored when
//! - it is a valid session announcement for its key
//!   ([`musig2_session::record::validate_announcement_record`]); anything else is refused
//!   and never replaces what is stored;
//! - its key holds nothing yet, or a record that expires earlier (a session ID hashes its
//!   announcement, `expires_at` included, so two valid records of one key normally expire
//!   together: the stored one is kept, and a re-PUT changes nothing);
//! - its author (the signer key that signed the announcement envelope, which nobody else
//!   can forge) holds fewer than `max_per_author` stored records. The author, not the
//!   transport peer that sent the PUT, is counted: relays replicate each other's records,
//!   and a relay passing on thousands of records must not use up a quota, while a flooder
//!   needs a signing key per `max_per_author` records either way;
//! - the store is not full (`--max-records`).
//!
//! Route records (protocol.md §4.3: a wallet's circuit addresses signed by its key, under
//! the route key of that key) are validated with [`validate_route`] and counted against
//! their key in the same way.
//!
//! Inbox records (§4.4: creators' signed pointers to sessions waiting for one signer) are
//! merged, not replaced: a valid PUT is united with what the key holds ([`merge_inbox`]:
//! expired entries dropped, at most 4 per creator and 32 in all, the newest kept), counted
//! against the inbox's signer, and expire with their last entry.
//!
//! Stored records expire with their session: the guard removes them, and forgets them in the
//! per-author counts, at their `expires_at`.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use libp2p::kad::store::{MemoryStore, RecordStore};
use libp2p::kad::{Record, RecordKey};
use musig2_session::inbox::{merge_inbox, validate_inbox, Inbox, INBOX_MAGIC};
use musig2_session::record::validate_announcement_record;
use musig2_session::route::{validate_route, ROUTE_MAGIC};
use musig2_session::wire::KeyBytes;

/// Why a PUT was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a valid announcement record for its key (the session layer's reason code).
    Invalid(&'static str),
    /// The record's author already holds `max_per_author` records.
    AuthorQuota,
    /// The store holds `--max-records` records.
    StoreFull,
}

impl Refusal {
    /// A short label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::AuthorQuota => "author_quota",
            Self::StoreFull => "store_full",
        }
    }
}

/// What happened to an admitted PUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// Stored under a key that held nothing.
    Stored,
    /// Replaced a stored record that expired earlier.
    Replaced,
    /// Valid, but the stored record of that key expires as late or later: kept unchanged.
    Kept,
}

struct Entry {
    author: KeyBytes,
    expires_at: u64,
}

/// Validation, per-author quotas and expiry of the records the relay stores.
pub struct RecordGuard {
    max_per_author: usize,
    entries: HashMap<RecordKey, Entry>,
    by_expiry: BTreeSet<(u64, Vec<u8>)>,
    per_author: HashMap<KeyBytes, usize>,
}

impl RecordGuard {
    /// A guard letting each author hold at most `max_per_author` stored records.
    pub fn new(max_per_author: usize) -> Self {
        Self {
            max_per_author,
            entries: HashMap::new(),
            by_expiry: BTreeSet::new(),
            per_author: HashMap::new(),
        }
    }

    /// Records stored (and not yet expired at the last call).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Records held by `author`.
    pub fn held_by(&self, author: &KeyBytes) -> usize {
        self.per_author.get(author).copied().unwrap_or(0)
    }

    /// Decides on a PUT of `record` at `now` (ms since the epoch) and, when it is admitted,
    /// stores it in `store` with its expiry capped at the session's.
    ///
    /// # Errors
    /// A [`Refusal`] when nothing was stored; the store is then unchanged.
    pub fn admit(
        &mut self,
        now: u64,
        mut record: Record,
        store: &mut MemoryStore,
    ) -> Result<Admitted, Refusal> {
        self.expire(now, store);
        let existing = self
            .entries
            .get(&record.key)
            .map(|e| (e.author, e.expires_at));
        let (author, expires_at) = if record.value.starts_with(INBOX_MAGIC) {
            let key = record.key.clone();
            let stored = store.get(&key).map(|r| r.value.clone());
            let Some(merged) =
                merge_inbox_put(key.as_ref(), stored.as_deref(), &record.value, now)?
            else {
                return Ok(Admitted::Kept);
            };
            record.value = merged.encode();
            (merged.signer, merged.expires_at())
        } else {
            let (author, expires_at) = validate(record.key.as_ref(), &record.value, now)?;
            if let Some((_, existing_expiry)) = existing {
                if existing_expiry >= expires_at {
                    return Ok(Admitted::Kept);
                }
            }
            (author, expires_at)
        };
        let moves_to_author = existing.is_none_or(|(owner, _)| owner != author);
        if moves_to_author && self.held_by(&author) >= self.max_per_author {
            return Err(Refusal::AuthorQuota);
        }
        let lifetime = Duration::from_millis(expires_at.saturating_sub(now));
        let session_end = Instant::now().checked_add(lifetime);
        record.expires = match (record.expires, session_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let key = record.key.clone();
        store.put(record).map_err(|_| Refusal::StoreFull)?;
        if let Some((owner, expires_at)) = existing {
            self.forget(&key, owner, expires_at);
        }
        self.by_expiry.insert((expires_at, key.to_vec()));
        *self.per_author.entry(author).or_insert(0) += 1;
        self.entries.insert(key, Entry { author, expires_at });
        Ok(if existing.is_some() {
            Admitted::Replaced
        } else {
            Admitted::Stored
        })
    }

    /// Removes every record whose session expired at `now` from `store` and from the counts.
    pub fn expire(&mut self, now: u64, store: &mut MemoryStore) {
        while let Some((expires_at, raw)) = self.by_expiry.first().cloned() {
            if expires_at > now {
                break;
            }
            let key = RecordKey::new(&raw);
            if let Some(entry) = self.entries.get(&key) {
                let owner = entry.author;
                store.remove(&key);
                self.forget(&key, owner, expires_at);
            } else {
                self.by_expiry.remove(&(expires_at, raw));
            }
        }
    }

    fn forget(&mut self, key: &RecordKey, owner: KeyBytes, expires_at: u64) {
        self.entries.remove(key);
        self.by_expiry.remove(&(expires_at, key.to_vec()));
        if let Some(n) = self.per_author.get_mut(&owner) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_author.remove(&owner);
            }
        }
    }
}

/// The inbox record to store when `incoming` is PUT under `key`, which holds `stored`: the
/// union of both (protocol.md §4.4), or `None` when it adds nothing to what is stored. The
/// stored record is checked again (its entries may have expired since).
fn merge_inbox_put(
    key: &[u8],
    stored: Option<&[u8]>,
    incoming: &[u8],
    now: u64,
) -> Result<Option<Inbox>, Refusal> {
    let incoming = validate_inbox(key, incoming, now).map_err(|e| Refusal::Invalid(e.code()))?;
    let Some(stored) = stored.and_then(|v| validate_inbox(key, v, now).ok()) else {
        return Ok(Some(incoming));
    };
    let merged = merge_inbox(&stored, &incoming, now).unwrap_or(incoming);
    Ok((merged != stored).then_some(merged))
}

/// The author and expiry of a valid record: a session announcement (protocol.md §4.1) or a
/// wallet's route record (§4.3).
fn validate(key: &[u8], value: &[u8], now: u64) -> Result<(KeyBytes, u64), Refusal> {
    if value.starts_with(ROUTE_MAGIC) {
        let route = validate_route(key, value, now).map_err(|e| Refusal::Invalid(e.code()))?;
        return Ok((route.key, route.expires_at));
    }
    let info =
        validate_announcement_record(key, value, now).map_err(|e| Refusal::Invalid(e.code()))?;
    Ok((info.sender, info.expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::kad::store::MemoryStoreConfig;
    use musig2_session::crypto::{Scheme, SecretKey};
    use musig2_session::wire::TweakSpec;
    use musig2_session::{Config, Destination, ElectionMethod, Machine, SessionParams};
    use rand_core::SeedableRng;

    const NOW: u64 = 1_700_000_000_000;

    struct Creator {
        machine: Machine,
        rng: rand_chacha::ChaCha20Rng,
    }

    impl Creator {
        fn new(seed: u8) -> Self {
            let sk = SecretKey::from_bytes(&[seed; 32]).unwrap();
            Self {
                machine: Machine::new(Config::default(), Scheme::Bip327, sk, NOW, [seed; 32]),
                rng: rand_chacha::ChaCha20Rng::seed_from_u64(u64::from(seed)),
            }
        }

        /// A fresh session's announcement record, and its expiry.
        fn record(&mut self) -> (Record, u64) {
            let other = SecretKey::from_bytes(&[0x77; 32]).unwrap().public_key();
            let params = SessionParams {
                signers: vec![self.machine.public_key(), other.to_bytes()],
                message: vec![1; 32],
                tweak: TweakSpec::None,
                election: ElectionMethod::Lexicographic,
                tx_type: "spend".into(),
            };
            let id = self
                .machine
                .create_session(NOW, params, &mut self.rng)
                .unwrap();
            while let Some(t) = self.machine.poll_transmit() {
                if t.to == Destination::DhtPut(id) {
                    let info = validate_announcement_record(&id, &t.bytes, NOW).unwrap();
                    return (Record::new(RecordKey::new(&id), t.bytes), info.expires_at);
                }
            }
            panic!("no DHT put");
        }
    }

    fn store(max_records: usize) -> MemoryStore {
        MemoryStore::with_config(
            libp2p::PeerId::random(),
            MemoryStoreConfig {
                max_records,
                ..Default::default()
            },
        )
    }

    #[test]
    fn garbage_never_replaces_a_valid_record_and_a_re_put_keeps_it() {
        let mut store = store(100);
        let mut guard = RecordGuard::new(4);
        let mut owner = Creator::new(1);
        let (honest, _) = owner.record();
        assert_eq!(
            guard.admit(NOW, honest.clone(), &mut store),
            Ok(Admitted::Stored)
        );
        let garbage = Record::new(honest.key.clone(), b"garbage".to_vec());
        assert_eq!(
            guard.admit(NOW, garbage, &mut store),
            Err(Refusal::Invalid("malformed"))
        );
        // A valid announcement of another session under the honest key.
        let mut stranger = Creator::new(2);
        let (other, _) = stranger.record();
        let mut moved = other.clone();
        moved.key = honest.key.clone();
        assert_eq!(
            guard.admit(NOW, moved, &mut store),
            Err(Refusal::Invalid("sessionIdMismatch"))
        );
        assert_eq!(
            guard.admit(NOW, honest.clone(), &mut store),
            Ok(Admitted::Kept)
        );
        assert_eq!(store.get(&honest.key).unwrap().value, honest.value);
        assert_eq!(guard.held_by(&owner.machine.public_key()), 1);
        assert_eq!(guard.held_by(&stranger.machine.public_key()), 0);
    }

    #[test]
    fn one_author_is_capped_others_are_not_and_expiry_frees_the_quota() {
        let mut store = store(100);
        let mut guard = RecordGuard::new(3);
        let mut flooder = Creator::new(3);
        let mut last_expiry = 0;
        for _ in 0..3 {
            let (r, expires) = flooder.record();
            last_expiry = expires;
            assert_eq!(guard.admit(NOW, r, &mut store), Ok(Admitted::Stored));
        }
        let (extra, _) = flooder.record();
        assert_eq!(
            guard.admit(NOW, extra.clone(), &mut store),
            Err(Refusal::AuthorQuota)
        );
        assert!(store.get(&extra.key).is_none());
        let (honest, _) = Creator::new(4).record();
        assert_eq!(
            guard.admit(NOW, honest.clone(), &mut store),
            Ok(Admitted::Stored)
        );
        assert_eq!(guard.len(), 4);
        // Once the flooder's sessions expired, its records are gone and its quota is free.
        let later = last_expiry;
        guard.expire(later, &mut store);
        assert_eq!(guard.held_by(&flooder.machine.public_key()), 0);
        assert_eq!(store.records().count(), 0);
        assert_eq!(guard.len(), 0);
    }

    #[test]
    fn a_full_store_refuses_without_counting() {
        let mut store = store(1);
        let mut guard = RecordGuard::new(10);
        let mut c = Creator::new(5);
        let (a, _) = c.record();
        let (b, _) = c.record();
        assert_eq!(guard.admit(NOW, a, &mut store), Ok(Admitted::Stored));
        assert_eq!(guard.admit(NOW, b, &mut store), Err(Refusal::StoreFull));
        assert_eq!(guard.held_by(&c.machine.public_key()), 1);
    }

    #[test]
    fn route_records_are_stored_when_signed_and_a_newer_one_replaces_the_older() {
        use musig2_session::route::{route_key, sign_route};
        let mut store = store(100);
        let mut guard = RecordGuard::new(4);
        let sk = SecretKey::from_bytes(&[0x31; 32]).unwrap();
        let addrs = vec![b"/p2p-circuit".to_vec()];
        let (key, older) = sign_route(&sk, NOW + 60_000, &addrs, [1; 32]).unwrap();
        let record = |v: &Vec<u8>| Record::new(RecordKey::new(&key), v.clone());
        assert_eq!(
            guard.admit(NOW, record(&older), &mut store),
            Ok(Admitted::Stored)
        );
        let (_, newer) = sign_route(&sk, NOW + 120_000, &addrs, [2; 32]).unwrap();
        assert_eq!(
            guard.admit(NOW, record(&newer), &mut store),
            Ok(Admitted::Replaced)
        );
        // A forgery (one flipped byte) and another wallet's record under this key are refused
        // and leave the stored record alone.
        let mut forged = newer.clone();
        forged[40] ^= 1;
        assert!(matches!(
            guard.admit(NOW, record(&forged), &mut store),
            Err(Refusal::Invalid(_))
        ));
        let thief = SecretKey::from_bytes(&[0x32; 32]).unwrap();
        let (thief_key, theirs) = sign_route(&thief, NOW + 180_000, &addrs, [3; 32]).unwrap();
        assert_ne!(thief_key, key);
        assert_eq!(
            guard.admit(NOW, record(&theirs), &mut store),
            Err(Refusal::Invalid("routeKeyMismatch"))
        );
        assert_eq!(store.get(&RecordKey::new(&key)).unwrap().value, newer);
        assert_eq!(route_key(&sk.public_key().to_bytes()), key);
        assert_eq!(guard.held_by(&sk.public_key().to_bytes()), 1);
    }

    #[test]
    fn records_count_against_their_author_whoever_relays_them() {
        // One relay replicating the records of many authors to us is not capped ...
        let mut store = store(100);
        let mut guard = RecordGuard::new(2);
        for seed in 10..20 {
            let (r, _) = Creator::new(seed).record();
            assert_eq!(guard.admit(NOW, r, &mut store), Ok(Admitted::Stored));
        }
        assert_eq!(guard.len(), 10);
        // ... while one author is, however many peers relay its records.
        let mut author = Creator::new(30);
        for _ in 0..2 {
            let (r, _) = author.record();
            assert_eq!(guard.admit(NOW, r, &mut store), Ok(Admitted::Stored));
        }
        let (third, _) = author.record();
        assert_eq!(
            guard.admit(NOW, third, &mut store),
            Err(Refusal::AuthorQuota)
        );
    }

    #[test]
    fn inbox_puts_of_different_creators_merge_and_a_forgery_changes_nothing() {
        use musig2_session::inbox::{inbox_key, sign_inbox_entry, validate_inbox};
        let mut store = store(100);
        let mut guard = RecordGuard::new(4);
        let signer = SecretKey::from_bytes(&[0x41; 32])
            .unwrap()
            .public_key()
            .to_bytes();
        let put = |creator: u8, session: u8| {
            let sk = SecretKey::from_bytes(&[creator; 32]).unwrap();
            let (k, v) =
                sign_inbox_entry(&sk, &signer, &[session; 32], NOW, NOW + 60_000, [1; 32]).unwrap();
            Record::new(RecordKey::new(&k), v)
        };
        assert_eq!(
            guard.admit(NOW, put(1, 1), &mut store),
            Ok(Admitted::Stored)
        );
        assert_eq!(
            guard.admit(NOW, put(2, 2), &mut store),
            Ok(Admitted::Replaced)
        );
        assert_eq!(guard.admit(NOW, put(1, 1), &mut store), Ok(Admitted::Kept));
        let key = RecordKey::new(&inbox_key(&signer));
        let merged = store.get(&key).unwrap().value.clone();
        let inbox = validate_inbox(key.as_ref(), &merged, NOW).unwrap();
        let mut sessions: Vec<u8> = inbox.entries.iter().map(|e| e.session_id[0]).collect();
        sessions.sort_unstable();
        assert_eq!(sessions, vec![1, 2]);
        let mut forged = put(3, 3);
        let last = forged.value.len() - 1;
        forged.value[last] ^= 1;
        assert_eq!(
            guard.admit(NOW, forged, &mut store),
            Err(Refusal::Invalid("invalidSignature"))
        );
        assert_eq!(store.get(&key).unwrap().value, merged);
        // One record, counted against the inbox's signer; gone when its last entry expires.
        assert_eq!(guard.len(), 1);
        assert_eq!(guard.held_by(&signer), 1);
        guard.expire(NOW + 60_000, &mut store);
        assert_eq!(guard.len(), 0);
        assert!(store.get(&key).is_none());
    }
}
