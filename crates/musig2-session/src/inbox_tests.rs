#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

const NOW: u64 = 1_700_000_000_000;
const LIFE: u64 = 600_000;

fn sk(seed: u8) -> SecretKey {
    SecretKey::from_bytes(&[seed; 32]).unwrap()
}

fn signer() -> KeyBytes {
    sk(0x50).public_key().to_bytes()
}

/// A one-entry record of `creator` for session `[sid; 32]`, made at `created`.
fn entry(creator: u8, sid: u8, created: u64) -> Vec<u8> {
    let (_, v) = sign_inbox_entry(
        &sk(creator),
        &signer(),
        &[sid; 32],
        created,
        created + LIFE,
        [3; 32],
    )
    .unwrap();
    v
}

fn valid(v: &[u8]) -> Inbox {
    validate_inbox(&inbox_key(&signer()), v, NOW).unwrap()
}

fn merged(records: &[Vec<u8>]) -> Inbox {
    let mut acc = valid(&records[0]);
    for r in &records[1..] {
        acc = merge_inbox(&acc, &valid(r), NOW).unwrap();
    }
    acc
}

#[test]
fn a_signed_entry_validates_and_every_change_is_refused() {
    let v = entry(1, 7, NOW);
    let inbox = valid(&v);
    assert_eq!(inbox.signer, signer());
    assert_eq!(inbox.entries.len(), 1);
    assert_eq!(inbox.entries[0].session_id, [7; 32]);
    assert_eq!(inbox.entries[0].creator, sk(1).public_key().to_bytes());
    assert_eq!(inbox.encode(), v, "a valid record re-encodes byte for byte");
    let key = inbox_key(&signer());
    for i in 0..v.len() {
        let mut bad = v.clone();
        bad[i] ^= 1;
        assert!(validate_inbox(&key, &bad, NOW).is_err(), "byte {i} flipped");
    }
    for len in 0..v.len() {
        assert!(
            validate_inbox(&key, &v[..len], NOW).is_err(),
            "cut at {len}"
        );
    }
    let mut long = v.clone();
    long.push(0);
    assert_eq!(validate_inbox(&key, &long, NOW), Err(InboxError::Malformed));
    assert_eq!(validate_inbox(&[0; 32], &v, NOW), Err(InboxError::WrongKey));
}

#[test]
fn lifetimes_are_bounded_and_expired_entries_are_dropped() {
    let key = inbox_key(&signer());
    // Expired by the reader's clock: nothing live left.
    assert_eq!(
        validate_inbox(&key, &entry(1, 7, NOW - LIFE), NOW),
        Err(InboxError::Empty)
    );
    // Made beyond the clock skew in the future.
    let future = entry(1, 7, NOW + MAX_INBOX_SKEW_MS + 1);
    assert_eq!(
        validate_inbox(&key, &future, NOW),
        Err(InboxError::Lifetime)
    );
    // Signing refuses an entry living longer than a day, or not at all.
    for expires in [NOW, NOW - 1, NOW + MAX_INBOX_LIFETIME_MS + 1] {
        assert_eq!(
            sign_inbox_entry(&sk(1), &signer(), &[7; 32], NOW, expires, [0; 32]),
            Err(InboxError::Lifetime)
        );
    }
    // A merged record keeps its live entries when some expired.
    let old = entry(2, 8, NOW - LIFE + 1_000);
    let both = merge_inbox(&valid(&old), &valid(&entry(1, 7, NOW)), NOW).unwrap();
    let later = validate_inbox(&key, &both.encode(), NOW + 2_000).unwrap();
    assert_eq!(later.entries.len(), 1);
    assert_eq!(later.entries[0].session_id, [7; 32]);
}

#[test]
fn merging_is_a_union_in_canonical_order_whatever_the_order_of_arrival() {
    let records = [entry(1, 1, NOW), entry(2, 2, NOW + 5), entry(1, 3, NOW + 9)];
    let a = merged(&records);
    let b = merged(&[records[2].clone(), records[0].clone(), records[1].clone()]);
    assert_eq!(a, b);
    assert_eq!(a.encode(), b.encode());
    let ids: Vec<u8> = a.entries.iter().map(|e| e.session_id[0]).collect();
    assert_eq!(ids, vec![3, 2, 1], "newest first");
    // A repeat changes nothing.
    assert_eq!(merge_inbox(&a, &valid(&records[1]), NOW).unwrap(), a);
    // The merged record is itself valid.
    assert_eq!(valid(&a.encode()), a);
    // Another signer's inbox does not merge.
    let (_, other) =
        sign_inbox_entry(&sk(1), &[2; 33], &[1; 32], NOW, NOW + LIFE, [0; 32]).unwrap();
    let other = validate_inbox(&inbox_key(&[2; 33]), &other, NOW).unwrap();
    assert_eq!(merge_inbox(&a, &other, NOW), None);
}

#[test]
fn one_creator_keeps_at_most_four_and_the_record_at_most_thirty_two() {
    // A flooder's ten entries leave its four newest, and an honest entry stays.
    let mut records = vec![entry(9, 200, NOW - 10)];
    records.extend((0..10u8).map(|i| entry(1, i, NOW + u64::from(i))));
    let inbox = merged(&records);
    let from_flooder: Vec<u8> = inbox
        .entries
        .iter()
        .filter(|e| e.creator == sk(1).public_key().to_bytes())
        .map(|e| e.session_id[0])
        .collect();
    assert_eq!(from_flooder, vec![9, 8, 7, 6]);
    assert!(inbox.entries.iter().any(|e| e.session_id == [200; 32]));
    // Forty creators: the thirty-two newest stay.
    let many: Vec<Vec<u8>> = (0..40u8)
        .map(|i| entry(10 + i, i, NOW + u64::from(i)))
        .collect();
    let full = merged(&many);
    assert_eq!(full.entries.len(), MAX_INBOX_ENTRIES);
    assert_eq!(full.entries.last().unwrap().session_id, [8; 32]);
    assert_eq!(
        full.encode().len(),
        38 + MAX_INBOX_ENTRIES * INBOX_ENTRY_LEN
    );
}

#[test]
fn a_record_breaking_the_bounds_is_refused_as_a_whole() {
    let key = inbox_key(&signer());
    let base = valid(&entry(1, 1, NOW));
    // Five entries of one creator, hand-assembled (merging would have cut them to four).
    let mut five = base.clone();
    five.entries = (0..5u8)
        .map(|i| valid(&entry(1, i, NOW)).entries[0].clone())
        .collect();
    assert_eq!(
        validate_inbox(&key, &five.encode(), NOW),
        Err(InboxError::Malformed)
    );
    // One session listed twice by its creator.
    let mut twice = base.clone();
    twice.entries.push(twice.entries[0].clone());
    assert_eq!(
        validate_inbox(&key, &twice.encode(), NOW),
        Err(InboxError::Malformed)
    );
    // An entry signed by someone else than the creator it names.
    let mut stolen = base.clone();
    stolen.entries[0].creator = sk(2).public_key().to_bytes();
    assert_eq!(
        validate_inbox(&key, &stolen.encode(), NOW),
        Err(InboxError::BadSignature)
    );
    // A count above the bound.
    let mut over = base.encode();
    over[37] = 33;
    assert_eq!(validate_inbox(&key, &over, NOW), Err(InboxError::Malformed));
    assert_eq!(
        validate_inbox(&key, b"M2RTsomething else", NOW),
        Err(InboxError::Malformed)
    );
}
