//! Adversarial suite, part 2: malformed input, unknown sessions, timestamps, floods, Sybil
//! keys, bad advertisements and announcements, graylisting. Each is rejected, the offender
//! loses exactly its penalty, and the honest session completes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::arena::*;
use common::*;
use musig2_session::reputation::Standing;
use musig2_session::wire::{Abort, AbortReason, Message, SchemeId, TweakSpec};
use musig2_session::{DecodeError, ElectionMethod, Error, Event, Phase};

#[test]
fn a14_oversized_envelope() {
    let mut a = Arena::new(14, false);
    let p = a.attacker.clone();
    a.expect(&p, &vec![1u8; 70_000], |e| {
        matches!(e, Error::Decode(DecodeError::TooLong { .. }))
    });
    a.finish();
}

#[test]
fn a15_truncated_envelope() {
    let mut a = Arena::new(15, false);
    let mut bytes = a.outsider(Message::Join);
    bytes.pop();
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        matches!(e, Error::Decode(DecodeError::Truncated))
    });
    a.finish();
}

#[test]
fn a16_random_garbage() {
    let mut a = Arena::new(16, false);
    let garbage: Vec<u8> = (0..300u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    let p = a.attacker.clone();
    a.expect(&p, &garbage, decode_err);
    a.finish();
}

#[test]
fn a17_unknown_version() {
    let mut a = Arena::new(17, false);
    let mut bytes = a.outsider(Message::Join);
    bytes[0] = 9;
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        *e == Error::Decode(DecodeError::UnsupportedVersion(9))
    });
    a.finish();
}

#[test]
fn a18_unknown_kind() {
    let mut a = Arena::new(18, false);
    let mut bytes = a.outsider(Message::Join);
    bytes[1] = 99;
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        *e == Error::Decode(DecodeError::UnknownKind(99))
    });
    a.finish();
}

#[test]
fn a19_trailing_bytes() {
    let mut a = Arena::new(19, false);
    let mut bytes = a.outsider(Message::Join);
    bytes.extend_from_slice(&[0; 5]);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        *e == Error::Decode(DecodeError::TrailingBytes)
    });
    a.finish();
}

#[test]
fn a20_lying_body_length() {
    let mut a = Arena::new(20, false);
    let mut bytes = a.outsider(Message::NonceShare([2; 66]));
    bytes[88..92].copy_from_slice(&60_000u32.to_be_bytes());
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        matches!(e, Error::Decode(DecodeError::BodyTooLong { .. }))
    });
    a.finish();
}

#[test]
fn a21_unknown_session() {
    let mut a = Arena::new(21, false);
    let mut env = a.envelope(key_of(&a.attacker_sk), 0, 1, Message::Join);
    env.session_id = [0x5A; 32];
    let bytes = seal(&a.attacker_sk.clone(), env);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::UnknownSession);
    a.finish();
}

#[test]
fn a22_stale_timestamp() {
    let mut a = Arena::new(22, false);
    a.run_until(|s, id| s.phase(TARGET, id).is_some());
    let node = &a.sim.nodes[INSIDER];
    let mut env = a.envelope(node.key, 0, node.last_seq + 1, Message::Join);
    env.timestamp = a.sim.now - 10 * 60_000;
    let bytes = seal(&node.sk.clone(), env);
    let p = a.insider_peer();
    // A clock that is off is refused, never punished (an honest peer's clock may drift).
    let err = a.expect_unpunished(&p, &bytes, |e| matches!(e, Error::BadTimestamp { .. }));
    assert_eq!(err.code(), "clockSkew");
    a.finish();
}

#[test]
fn a23_future_timestamp() {
    let mut a = Arena::new(23, false);
    a.run_until(|s, id| s.phase(TARGET, id).is_some());
    let node = &a.sim.nodes[INSIDER];
    let mut env = a.envelope(node.key, 0, node.last_seq + 1, Message::Join);
    env.timestamp = a.sim.now + 10 * 60_000;
    let bytes = seal(&node.sk.clone(), env);
    let p = a.insider_peer();
    // A clock that is off is refused, never punished (an honest peer's clock may drift).
    let err = a.expect_unpunished(&p, &bytes, |e| matches!(e, Error::BadTimestamp { .. }));
    assert_eq!(err.code(), "clockSkew");
    a.finish();
}

#[test]
fn a24_advert_flood_ends_in_a_permanent_ban() {
    let mut a = Arena::new(24, false);
    let (sk, p) = (a.attacker_sk, a.attacker.clone());
    let exp = a.sim.now + 3_600_000;
    let first = advert(&a, &sk, &p, 1, exp);
    a.sim.inject(TARGET, &p, &first).unwrap();
    for i in 1..10u64 {
        let b = advert(&a, &sk, &p, 1 + i, exp);
        a.expect(&p, &b, |e| matches!(e, Error::RateLimited { .. }));
    }
    let b = advert(&a, &sk, &p, 20, exp);
    assert_eq!(
        a.sim.inject(TARGET, &p, &b),
        Err(Error::RateLimited { violations: 10 })
    );
    let m = a.sim.nodes[TARGET].machine.as_ref().unwrap();
    assert_eq!(
        m.standing(&p, a.sim.now + 1_000_000_000),
        Standing::Blacklisted
    );
    assert!(a.sim.nodes[TARGET]
        .events
        .iter()
        .any(|(_, e)| *e == Event::PeerBanned { peer: p.clone() }));
    let b = a.outsider(Message::Join);
    assert_eq!(a.sim.inject(TARGET, &p, &b), Err(Error::Blacklisted));
    a.finish();
}

#[test]
fn a25_sybil_key_flood() {
    let mut a = Arena::new(25, false);
    let p = a.attacker.clone();
    for i in 0..11u64 {
        a.sim.now += 61_000;
        let sk = secret(777, i as usize);
        let b = advert(&a, &sk, &p, 1, a.sim.now + 3_600_000);
        if i < 10 {
            a.sim.inject(TARGET, &p, &b).unwrap();
        } else {
            a.expect(&p, &b, |e| *e == Error::KeyCapExceeded { cap: 10 });
        }
    }
    let found = a.sim.nodes[TARGET]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::SignerDiscovered { .. }))
        .count();
    assert_eq!(found, 10);
    // The honest session was announced at T0; start a fresh one now.
    a.id = a
        .sim
        .create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    a.finish();
}

#[test]
fn a26_advert_for_another_peer() {
    let mut a = Arena::new(26, false);
    let (sk, p) = (a.attacker_sk, a.attacker.clone());
    let victim = a.sim.nodes[0].peer.clone();
    let b = advert(&a, &sk, &victim, 1, a.sim.now + 60_000);
    a.expect(&p, &b, |e| *e == Error::PeerMismatch);
    a.finish();
}

#[test]
fn a27_expired_advert() {
    let mut a = Arena::new(27, false);
    let (sk, p) = (a.attacker_sk, a.attacker.clone());
    let b = advert(&a, &sk, &p, 1, a.sim.now - 1);
    a.expect(&p, &b, |e| *e == Error::SessionExpired);
    a.finish();
}

#[test]
fn a28_announcement_with_wrong_session_id() {
    let mut a = Arena::new(28, false);
    let ann = announcement(&a, a.sim.keys());
    let mut env = a.envelope(
        a.sim.nodes[INSIDER].key,
        0,
        a.sim.nodes[INSIDER].last_seq + 1,
        Message::Announcement(ann),
    );
    env.session_id = [0x77; 32];
    let bytes = seal(&a.sim.nodes[INSIDER].sk.clone(), env);
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| *e == Error::SessionIdMismatch);
    a.finish();
}

#[test]
fn a29_announcement_by_a_non_signer() {
    let mut a = Arena::new(29, false);
    let ann = announcement(&a, a.sim.keys());
    let mut env = a.envelope(
        key_of(&a.attacker_sk),
        0,
        1,
        Message::Announcement(ann.clone()),
    );
    env.session_id = musig2_session::machine::session_id(SchemeId::Bip327, &ann);
    let bytes = seal(&a.attacker_sk.clone(), env);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::NotASigner);
    a.finish();
}

#[test]
fn a30_scheme_confusion() {
    let mut a = Arena::new(30, false);
    let mut env = a.envelope(key_of(&a.attacker_sk), 0, 1, Message::Join);
    env.scheme = SchemeId::Lotus;
    // Signed with BIP-340 but labelled Lotus: verified as Lotus, so it fails.
    let bytes = seal(&a.attacker_sk.clone(), env);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::InvalidSignature);
    a.finish();
}

#[test]
fn a31_attempt_number_out_of_range() {
    let mut a = Arena::new(31, false);
    a.run_until(|s, id| s.phase(TARGET, id).is_some());
    let node = &a.sim.nodes[INSIDER];
    let env = a.envelope(node.key, 1_000, node.last_seq + 1, Message::Join);
    let bytes = seal(&node.sk.clone(), env);
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| *e == Error::AttemptOutOfRange(1_000));
    a.finish();
}

#[test]
fn a32_sender_key_not_a_point() {
    let mut a = Arena::new(32, false);
    let env = a.envelope([0x05; 33], 0, 1, Message::Join);
    let bytes = env.encode();
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::InvalidSenderKey);
    a.finish();
}

#[test]
fn a33_announcement_with_duplicate_signers() {
    let mut a = Arena::new(33, false);
    let me = key_of(&a.attacker_sk);
    let ann = announcement(&a, vec![me, me]);
    let bytes = seal(
        &a.attacker_sk.clone(),
        a.envelope(me, 0, 1, Message::Announcement(ann)),
    );
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        *e == Error::Decode(DecodeError::DuplicateSigner)
    });
    a.finish();
}

#[test]
fn a34_unsolicited_accept() {
    let mut a = Arena::new(34, false);
    let bytes = a.outsider(Message::Accept);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::UnknownSession);
    a.finish();
}

#[test]
fn a35_abort_by_an_outsider() {
    let mut a = Arena::new(35, false);
    a.run_until(|s, id| s.phase(TARGET, id) >= Some(Phase::Joining));
    let bytes = a.outsider(Message::Abort(Abort {
        reason: AbortReason::Misbehaviour,
        detail: "stop".into(),
    }));
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::NotASigner);
    a.finish();
}

#[test]
fn a36_signature_notice_by_an_outsider() {
    let mut a = Arena::new(36, false);
    a.run_until(|s, id| s.phase(TARGET, id) >= Some(Phase::Joining));
    let bytes = a.outsider(Message::SignatureNotice([1; 64]));
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::NotASigner);
    a.finish();
}

#[test]
fn a37_repeated_forgeries_graylist_the_peer() {
    let mut a = Arena::new(37, false);
    let p = a.attacker.clone();
    for _ in 0..3 {
        let mut bytes = a.outsider(Message::Join);
        bytes[100] ^= 1;
        a.expect(&p, &bytes, |e| *e == Error::InvalidSignature);
    }
    let m = a.sim.nodes[TARGET].machine.as_ref().unwrap();
    assert!(matches!(
        m.standing(&p, a.sim.now),
        Standing::Graylisted { .. }
    ));
    let valid = a.outsider(Message::Join);
    assert_eq!(a.sim.inject(TARGET, &p, &valid), Err(Error::Graylisted));
    a.finish();
}

#[test]
fn a38_heartbeat_with_invalid_phase() {
    let mut a = Arena::new(38, false);
    let bytes = a.insider(Message::Heartbeat { phase: 0, have: 0 });
    let mut raw = bytes;
    raw[92] = 200; // phase code out of range
    let p = a.insider_peer();
    a.expect(&p, &raw, decode_err);
    a.finish();
}

#[test]
fn a39_signing_request_flood() {
    let mut a = Arena::new(39, false);
    let p = a.attacker.clone();
    let keys = a.sim.keys();
    let request = |i: u8| {
        musig2_session::wire::Message::SigningRequest(musig2_session::wire::SigningRequest {
            tx_type: "spend".into(),
            message: vec![i],
            signers: keys.clone(),
            expires_at: T0 + 60_000,
        })
    };
    let first = a.outsider(request(0));
    a.sim.inject(TARGET, &p, &first).unwrap();
    for i in 1..5 {
        let b = a.outsider(request(i));
        a.expect(&p, &b, |e| matches!(e, Error::RateLimited { .. }));
    }
    let asked = a.sim.nodes[TARGET]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::SigningRequested { .. }))
        .count();
    assert_eq!(asked, 1);
    a.finish();
}
