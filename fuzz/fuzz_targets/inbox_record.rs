//! The inbox-record validator and merge (`inbox::validate_inbox`, `inbox::merge_inbox`) that
//! every DHT server runs on a PUT and every wallet on its fetched inbox: key, values and clock
//! come from strangers. Raw input must never panic, and what is accepted must keep the bounds;
//! entries the harness signs itself (fuzz-chosen creators, sessions and times) merge into a
//! record that validates to exactly itself, and one flipped bit of it is refused.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_p2p_fuzz::{bytes_up_to, flip_bit, rest, small_secret};
use musig2_session::crypto::SecretKey;
use musig2_session::inbox::{
    inbox_key, merge_inbox, sign_inbox_entry, validate_inbox, Inbox, MAX_INBOX_ENTRIES,
    MAX_INBOX_LIFETIME_MS, MAX_INBOX_PER_CREATOR,
};

/// Start of fuzz time (ms since the epoch).
const T0: u64 = 1_700_000_000_000;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.ratio(1, 2).unwrap_or(false) {
        raw(&mut u)
    } else {
        signed(&mut u)
    };
});

fn check_bounds(inbox: &Inbox, now: u64) {
    assert!(inbox.entries.len() <= MAX_INBOX_ENTRIES && !inbox.entries.is_empty());
    let mut per_creator: BTreeMap<[u8; 33], usize> = BTreeMap::new();
    for e in &inbox.entries {
        *per_creator.entry(e.creator).or_insert(0) += 1;
        assert!(e.expires_at > now && e.expires_at <= e.created_at + MAX_INBOX_LIFETIME_MS);
    }
    assert!(per_creator.values().all(|&n| n <= MAX_INBOX_PER_CREATOR));
}

fn raw(u: &mut Unstructured<'_>) -> Result<()> {
    let key = bytes_up_to(u, 40)?.to_vec();
    let now = T0.saturating_add(u.int_in_range(0..=MAX_INBOX_LIFETIME_MS)?);
    let value = rest(u);
    if let Ok(inbox) = validate_inbox(&key, value, now) {
        assert_eq!(key, inbox_key(&inbox.signer));
        check_bounds(&inbox, now);
        if let Some(m) = merge_inbox(&inbox, &inbox, now) {
            assert_eq!(m, inbox, "merging a record with itself changes nothing");
        }
    }
    Ok(())
}

fn signed(u: &mut Unstructured<'_>) -> Result<()> {
    let signer = [2u8; 33];
    let key = inbox_key(&signer);
    let now = T0.saturating_add(u.int_in_range(0..=600_000)?);
    let mut acc: Option<Inbox> = None;
    for _ in 0..u.int_in_range(1..=48)? {
        let Ok(sk) = SecretKey::from_bytes(&small_secret(u.int_in_range(1..=12)?)) else {
            continue;
        };
        let created = T0.saturating_add(u.int_in_range(0..=600_000)?);
        let expires = created.saturating_add(u.int_in_range(1..=MAX_INBOX_LIFETIME_MS)?);
        let session: [u8; 32] = u.arbitrary()?;
        let Ok((k, v)) = sign_inbox_entry(&sk, &signer, &session, created, expires, u.arbitrary()?)
        else {
            panic!("signing within the bounds must work");
        };
        assert_eq!(k, key);
        let Ok(one) = validate_inbox(&key, &v, now) else {
            continue;
        };
        acc = Some(match acc {
            Some(a) => merge_inbox(&a, &one, now).expect("two live records merge"),
            None => one,
        });
    }
    let Some(inbox) = acc else {
        return Ok(());
    };
    check_bounds(&inbox, now);
    let mut bytes = inbox.encode();
    assert_eq!(validate_inbox(&key, &bytes, now).as_ref(), Ok(&inbox));
    if flip_bit(u, &mut bytes)? {
        assert!(validate_inbox(&key, &bytes, now).is_err());
    }
    Ok(())
}
