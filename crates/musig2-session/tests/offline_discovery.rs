//! Offline discovery (issue 14 item 4): a signer that was offline when a session naming it
//! was announced finds it from its inbox record at start, signs, and cannot be kept from it
//! by forged records or by a crowd of throwaway creators arriving before the session.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use musig2_session::crypto::SecretKey;
use musig2_session::inbox::{
    inbox_key, sign_inbox_entry, validate_inbox, InboxError, MAX_INBOX_ENTRIES,
    MAX_INBOX_PER_CREATOR,
};
use musig2_session::wire::{Kind, TweakSpec};
use musig2_session::{Config, ElectionMethod, Event};

const LATE: usize = 2;

/// Three signers; the last is offline (and would not get the announcement directly anyway).
fn offline_sim(seed: u64) -> Sim {
    let mut sim = Sim::new(seed, 3, NetParams::perfect(), Config::default());
    sim.bind_peers();
    sim.crash(LATE);
    sim.blocked.push((None, LATE, Kind::SessionAnnouncement));
    sim
}

/// A session created by node 0 over all three, 5 s after which the late signer is still off.
fn announced_while_offline(seed: u64, msg: &[u8]) -> (Sim, [u8; 32]) {
    let mut sim = offline_sim(seed);
    let id = sim.create(0, msg, ElectionMethod::Lexicographic, TweakSpec::None);
    sim.run_until(sim.now + 5_000);
    (sim, id)
}

fn discovered(sim: &Sim, i: usize, id: &[u8; 32]) -> bool {
    sim.nodes[i]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::SessionDiscovered { session_id, .. } if session_id == id))
}

fn completes(sim: &mut Sim, id: &[u8; 32], msg: &[u8]) {
    let until = sim.now + 60_000;
    assert!(
        sim.run_while(until, |s| s.all_completed(id)),
        "session completes"
    );
    for i in 0..3 {
        let sigs = sim.signatures(i, id);
        assert!(!sigs.is_empty());
        assert!(sigs
            .iter()
            .all(|s| verify_final(&sim.keys(), TweakSpec::None, msg, s)));
    }
}

/// Leaves entries for `signer` from throwaway creator `seed` for sessions nobody announced.
fn flood(sim: &mut Sim, seed: u64, sessions: u8) {
    let victim = sim.nodes[LATE].key;
    let sk = SecretKey::from_bytes(&secret(0xF100D, seed as usize)).unwrap();
    for s in 0..sessions {
        let now = sim.now;
        let (key, value) = sign_inbox_entry(
            &sk,
            &victim,
            &[s ^ seed as u8; 32],
            now,
            now + 600_000,
            [s; 32],
        )
        .unwrap();
        sim.dht_put(key, value);
        sim.now += 1;
    }
}

#[test]
fn a_signer_offline_at_announcement_finds_the_session_at_start_and_signs() {
    let (mut sim, id) = announced_while_offline(41, b"offline");
    assert!(!sim.all_completed(&id));
    assert_eq!(
        sim.start_fresh(LATE),
        Ok(1),
        "one session waits in the inbox"
    );
    assert!(discovered(&sim, LATE, &id));
    completes(&mut sim, &id, b"offline");
    // A second start (the session now known) asks for nothing new.
    let inbox = sim.dht[&inbox_key(&sim.nodes[LATE].key)].clone();
    let now = sim.now;
    let m = sim.nodes[LATE].machine.as_mut().unwrap();
    assert_eq!(m.handle_inbox_record(now, &inbox), Ok(0));
}

#[test]
fn without_the_inbox_the_late_signer_hears_of_the_session_only_from_online_signers() {
    // The control of the test above: the same network, the late signer started without an
    // inbox record knows nothing at start. Only the next message of a signer that is online
    // (a heartbeat) tells it later; with every co-signer offline nothing would.
    let mut sim = offline_sim(41);
    // Blocked from the start, so that no message sent while it was off is still on its way
    // when it starts (a message for an unknown session would make it look the session up).
    for kind in [Kind::Join, Kind::NonceShare, Kind::Heartbeat, Kind::Abort] {
        sim.blocked.push((None, LATE, kind));
    }
    let id = sim.create(
        0,
        b"offline",
        ElectionMethod::Lexicographic,
        TweakSpec::None,
    );
    sim.run_until(sim.now + 5_000);
    sim.dht.remove(&inbox_key(&sim.nodes[LATE].key));
    assert_eq!(sim.start_fresh(LATE), Err(InboxError::Malformed));
    assert!(!discovered(&sim, LATE, &id));
    sim.run_until(sim.now + 30_000);
    assert!(!discovered(&sim, LATE, &id));
}

#[test]
fn forged_inbox_records_are_refused_and_the_genuine_one_still_works() {
    let mut sim = offline_sim(42);
    let id = sim.create(1, b"forged", ElectionMethod::Lexicographic, TweakSpec::None);
    let key = inbox_key(&sim.nodes[LATE].key);
    let genuine = sim.dht[&key].clone();
    // A relay refuses a tampered PUT: what it stores is unchanged.
    let mut forged = genuine.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    sim.dht_put(key, forged.clone());
    assert_eq!(sim.dht[&key], genuine);
    // A hostile relay serves the forgery (or another signer's inbox): the wallet refuses it.
    sim.dht.insert(key, forged);
    assert_eq!(sim.start_fresh(LATE), Err(InboxError::BadSignature));
    let other = sim.dht[&inbox_key(&sim.nodes[0].key)].clone();
    sim.dht.insert(key, other);
    assert_eq!(sim.start_fresh(LATE), Err(InboxError::WrongKey));
    assert!(!discovered(&sim, LATE, &id));
    // An honest relay's copy is read next and the session goes ahead.
    sim.dht.insert(key, genuine);
    assert_eq!(sim.start_fresh(LATE), Ok(1));
    completes(&mut sim, &id, b"forged");
}

#[test]
fn throwaway_creators_crowding_the_inbox_before_the_session_do_not_hide_it() {
    let mut sim = offline_sim(43);
    // Forty throwaway creators, one of them trying ten entries.
    for c in 0..40 {
        flood(&mut sim, c, if c == 0 { 10 } else { 1 });
    }
    let key = inbox_key(&sim.nodes[LATE].key);
    let crowded = validate_inbox(&key, &sim.dht[&key], sim.now).unwrap();
    assert_eq!(crowded.entries.len(), MAX_INBOX_ENTRIES);
    let heaviest = crowded
        .entries
        .iter()
        .filter(|e| e.creator == crowded.entries.last().unwrap().creator)
        .count();
    assert!(heaviest <= MAX_INBOX_PER_CREATOR);
    sim.now += 1_000;
    let id = sim.create(
        0,
        b"crowded",
        ElectionMethod::Lexicographic,
        TweakSpec::None,
    );
    sim.run_until(sim.now + 2_000);
    // Every live entry is looked up; the bogus ones find nothing, the real one is found.
    assert_eq!(sim.start_fresh(LATE), Ok(MAX_INBOX_ENTRIES));
    assert!(discovered(&sim, LATE, &id));
    completes(&mut sim, &id, b"crowded");
}
