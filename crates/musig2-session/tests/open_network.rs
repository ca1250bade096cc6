//! Issue 13, protocol classes: one hostile peer with unlimited throwaway identities against
//! machines bound as musig2-net binds them (envelopes only from their key's peer). Every test
//! checks that the attack has no effect and that an honest session alongside completes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::arena::key_of;
use common::open::{advertisement, bound_sim, complete, envelope, MSG};
use common::*;
use musig2_session::machine::session_id;
use musig2_session::wire::{
    Abort, AbortReason, Announcement, Envelope, Kind, Message, SchemeId, SigningRequest, TweakSpec,
};
use musig2_session::{Config, ElectionMethod, Error, Event, PeerId, Phase, SessionParams};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// An announcement by throwaway key `sk` of a session between it and `victim`.
fn stranger_announcement(sk: &[u8; 32], victim: [u8; 33], now: u64, created_at: u64) -> Vec<u8> {
    let ann = Announcement {
        election: ElectionMethod::Lexicographic,
        tweak: TweakSpec::None,
        signers: vec![key_of(sk), victim],
        message: b"spam".to_vec(),
        tx_type: "spend".into(),
        salt: *sk,
        created_at,
        expires_at: created_at + 3_600_000,
    };
    let id = session_id(SchemeId::Bip327, &ann);
    envelope(sk, id, 0, now * 1024, now, Message::Announcement(ann))
}

fn join(sim: &mut Sim, i: usize, id: &[u8; 32]) {
    let now = sim.now;
    let mut rng = ChaCha20Rng::seed_from_u64(now);
    sim.nodes[i]
        .machine
        .as_mut()
        .unwrap()
        .join(now, id, &mut rng)
        .unwrap();
    sim.drain(i);
}

fn score(sim: &Sim, at: usize, peer: &PeerId) -> i32 {
    sim.nodes[at].machine.as_ref().unwrap().reputation(peer)
}

fn invitations(sim: &Sim, at: usize) -> usize {
    sim.nodes[at]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::SessionDiscovered { session_id, .. } => Some(*session_id),
            _ => None,
        })
        .filter(|id| sim.phase(at, id) == Some(Phase::Announced))
        .count()
}

/// Class 1: 300 throwaway keys announce sessions to the victim, one far in the future. The
/// victim's table keeps at most `max_invitations`, the honest invitation from a co-signer with
/// standing survives, the victim's own `create_session` works, and no stranger gains standing.
#[test]
fn invitation_flood_from_throwaway_keys_cannot_lock_out_a_wallet() {
    let mut sim = bound_sim(101);
    // An earlier session gives the honest co-signers standing at the victim.
    let first = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &first);
    sim.nodes[1].auto_join = false;
    let honest = sim.create(0, MSG, ElectionMethod::HashBased, TweakSpec::None);
    sim.run_until(sim.now + 100);
    assert_eq!(sim.phase(1, &honest), Some(Phase::Announced));

    let victim = sim.nodes[1].key;
    let far = sim.now + 365 * 86_400_000;
    let future = secret(7, 7_000);
    let err = sim
        .inject(
            1,
            &PeerId::new(key_of(&future).to_vec()),
            &stranger_announcement(&future, victim, sim.now, far),
        )
        .unwrap_err();
    assert_eq!(err, Error::AnnouncementTimes, "creation far in the future");
    let mut strangers = Vec::new();
    for k in 0..300 {
        let sk = secret(7, k);
        let peer = PeerId::new(key_of(&sk).to_vec());
        let now = sim.now;
        sim.inject(1, &peer, &stranger_announcement(&sk, victim, now, now))
            .expect("a stranger's invitation is taken (and may be evicted later)");
        strangers.push(peer);
    }
    let cap = Config::default().max_invitations;
    assert!(
        invitations(&sim, 1) <= cap,
        "at most {cap} invitations kept"
    );
    assert_eq!(
        sim.phase(1, &honest),
        Some(Phase::Announced),
        "the co-signer's invitation was not evicted by strangers'"
    );
    assert!(
        strangers.iter().all(|p| score(&sim, 1, p) == 0),
        "no reward for announcements"
    );

    // The victim's own sessions are never refused because of strangers.
    let keys = sim.keys();
    let now = sim.now;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let own = sim.nodes[1]
        .machine
        .as_mut()
        .unwrap()
        .create_session(
            now,
            SessionParams {
                signers: keys,
                message: MSG.to_vec(),
                tweak: TweakSpec::None,
                election: ElectionMethod::LastSigner,
                tx_type: "spend".into(),
            },
            &mut rng,
        )
        .expect("own session despite the flood");
    sim.drain(1);
    join(&mut sim, 1, &honest);
    complete(&mut sim, &honest);
    complete(&mut sim, &own);
}

/// Class 3: a third peer that forwards a signer's envelope first is refused (and penalized);
/// the signer's own copy is still accepted; a banned key cannot come back through another peer.
#[test]
fn forwarded_envelopes_are_refused_and_bans_follow_the_key() {
    let mut sim = bound_sim(102);
    let id = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    // The announcement is on its way to node 1; node 2 forwards its own copy first.
    let ann = sim.nodes[0]
        .sent
        .iter()
        .find(|b| {
            matches!(
                Envelope::decode(b).unwrap().message,
                Message::Announcement(_)
            )
        })
        .cloned()
        .unwrap();
    let forwarder = sim.nodes[2].peer.clone();
    let before = score(&sim, 1, &forwarder);
    assert_eq!(sim.inject(1, &forwarder, &ann), Err(Error::Forwarded));
    assert_eq!(score(&sim, 1, &forwarder), before - 10);
    assert_eq!(
        sim.phase(1, &id),
        None,
        "nothing taken from the forwarded copy"
    );
    complete(&mut sim, &id);
    let sender = sim.nodes[0].peer.clone();
    assert!(
        score(&sim, 1, &sender) > 0,
        "the real sender was not framed"
    );
    assert!(!sim.nodes[1]
        .errors
        .iter()
        .any(|e| matches!(e, Error::Duplicate { .. })));

    // A key banned at node 1 (through its own peer) stays out through any other peer.
    let sk = secret(8, 1);
    let own_peer = PeerId::new(key_of(&sk).to_vec());
    use musig2_session::reputation::Standing;
    for _ in 0..100 {
        match sim.nodes[1]
            .machine
            .as_ref()
            .unwrap()
            .standing(&own_peer, sim.now)
        {
            Standing::Blacklisted => break,
            // Graylisted peers are not read at all: wait the graylisting out.
            Standing::Graylisted { until } => sim.now = until,
            Standing::Good => {
                let _ = sim.inject(1, &own_peer, b"\x01\xff garbage");
            }
        }
    }
    assert_eq!(
        sim.nodes[1]
            .machine
            .as_ref()
            .unwrap()
            .standing(&own_peer, sim.now),
        Standing::Blacklisted
    );
    let victim = sim.nodes[1].key;
    let now = sim.now;
    let other = PeerId::new(b"fresh throwaway".to_vec());
    assert_eq!(
        sim.inject(1, &other, &stranger_announcement(&sk, victim, now, now)),
        Err(Error::Forwarded)
    );
    assert_eq!(
        sim.inject(1, &own_peer, &stranger_announcement(&sk, victim, now, now)),
        Err(Error::Blacklisted)
    );
    assert_eq!(invitations(&sim, 1), 0);
}

const ROUND_KINDS: [Kind; 5] = [
    Kind::Join,
    Kind::NonceShare,
    Kind::PartialSigShare,
    Kind::Heartbeat,
    Kind::SignatureNotice,
];

/// Class 7: node 2 sends a nonce under attempt 1 that node 0 sees and node 1 does not, then
/// crashes with attempt 0 persisted, and restarts hearing node 1 (still at attempt 0) first.
/// It must not draw a second nonce under attempt 1, nor be blamed as an equivocator.
#[test]
fn a_restart_with_a_stale_attempt_never_equivocates() {
    let mut sim = bound_sim(103);
    // Node 1 learns nothing of attempt 1: messages from 0 and 2 to it are held back.
    for from in [0, 2] {
        for k in [Kind::NonceShare, Kind::PartialSigShare, Kind::Heartbeat] {
            sim.blocked.push((Some(from), 1, k));
        }
    }
    let id = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    sim.run_until(sim.now + 50);
    // Node 0 moves node 2 to attempt 1 (as after a nonce-set mismatch).
    let seq = sim.nodes[0].last_seq + 1;
    let now = sim.now;
    let hb = envelope(
        &sim.nodes[0].sk.clone(),
        id,
        1,
        seq,
        now,
        Message::Heartbeat { phase: 2, have: 0 },
    );
    let peer0 = sim.nodes[0].peer.clone();
    sim.inject(2, &peer0, &hb).unwrap();
    assert_eq!(
        sim.nodes[2]
            .machine
            .as_ref()
            .unwrap()
            .session(&id)
            .unwrap()
            .attempt,
        1
    );
    sim.run_until(sim.now + 30); // node 0 receives node 2's attempt-1 nonce
    sim.crash(2);
    // The application persisted attempt 0 only.
    sim.nodes[2].persisted.get_mut(&id).unwrap().1 = 0;
    // After the restart node 2 hears node 1 (attempt 0) before node 0.
    for k in ROUND_KINDS {
        sim.blocked.push((Some(0), 2, k));
    }
    sim.restart(2);
    sim.run_until(sim.now + 3_000);
    sim.blocked.clear();
    complete(&mut sim, &id);

    let tags: Vec<([u8; 32], u32)> = sim.nodes[2].nonces_sent.values().copied().collect();
    let mut unique = tags.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        tags.len(),
        unique.len(),
        "two nonces under one attempt: {tags:?}"
    );
    for i in [0, 1] {
        assert!(!sim.nodes[i]
            .errors
            .iter()
            .any(|e| matches!(e, Error::Equivocation { .. })));
    }
    let peer2 = sim.nodes[2].peer.clone();
    assert!(
        score(&sim, 0, &peer2) >= 0,
        "the restarted signer was not punished"
    );
}

/// Class 8a: an invalid partial signature that overtakes its sender's nonce is blamed on that
/// signer once it can be checked (penalty and `MessageRejected` naming the signer).
#[test]
fn an_early_invalid_partial_signature_is_blamed_on_its_signer() {
    let mut sim = bound_sim(104);
    sim.blocked.push((Some(2), 1, Kind::NonceShare));
    sim.blocked.push((Some(2), 1, Kind::PartialSigShare));
    let id = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    let two = sim.nodes[2].key;
    assert!(
        sim.run_while(sim.now + 5_000, |s| s.nodes[2].sent.iter().any(
            |b| matches!(
                Envelope::decode(b).unwrap().message,
                Message::PartialSigShare { .. }
            )
        ))
    );
    let real = sim.nodes[2]
        .sent
        .iter()
        .map(|b| Envelope::decode(b).unwrap())
        .find(|e| matches!(e.message, Message::PartialSigShare { .. }))
        .unwrap();
    let Message::PartialSigShare { mut psig, aggnonce } = real.message else {
        unreachable!()
    };
    psig[31] ^= 1;
    let seq = sim.nodes[2].last_seq + 1;
    let now = sim.now;
    let bad = envelope(
        &sim.nodes[2].sk.clone(),
        id,
        real.attempt,
        seq,
        now,
        Message::PartialSigShare { psig, aggnonce },
    );
    let peer2 = sim.nodes[2].peer.clone();
    let before = score(&sim, 1, &peer2);
    sim.inject(1, &peer2, &bad)
        .expect("held until node 2's nonce arrives");
    assert_eq!(
        score(&sim, 1, &peer2),
        before,
        "no reward for a held message"
    );
    complete(&mut sim, &id);
    let blamed = sim.nodes[1].events.iter().any(|(_, e)| {
        matches!(e, Event::MessageRejected { from, error } if *from == peer2
            && error.culprit() == Some(two)
            && matches!(error, Error::InvalidContribution { kind: Kind::PartialSigShare, .. }))
    });
    assert!(blamed, "the invalid share was reported with its signer");
    let penalty = Config::default().reputation.penalties.invalid_contribution;
    assert!(score(&sim, 1, &peer2) <= before - penalty + 20, "penalized");
}

/// Class 8b: only keys that were asked may accept a signing request.
#[test]
fn accept_only_from_asked_keys() {
    let mut sim = bound_sim(105);
    let now = sim.now;
    let rid = [9u8; 32];
    let (k0, k1) = (sim.nodes[0].key, sim.nodes[1].key);
    let request = SigningRequest {
        tx_type: "spend".into(),
        message: MSG.to_vec(),
        signers: sim.keys(),
        expires_at: now + 60_000,
    };
    sim.nodes[0]
        .machine
        .as_mut()
        .unwrap()
        .request_signature(now, rid, request, &[k1])
        .unwrap();
    sim.drain(0);
    for i in [1, 2] {
        sim.nodes[i]
            .machine
            .as_mut()
            .unwrap()
            .accept_request(now, rid, k0);
        sim.drain(i);
    }
    sim.run_until(sim.now + 100);
    let accepted: Vec<[u8; 33]> = sim.nodes[0]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::RequestAccepted { signer, .. } => Some(*signer),
            _ => None,
        })
        .collect();
    assert_eq!(accepted, vec![k1]);
    assert!(sim.nodes[0].errors.contains(&Error::UnsolicitedAccept));
    let id = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &id);
}

/// Class 8c and 8d: a valid final signature replayed into a session we have not joined is not
/// adopted; an insider's abort does not take the signature from a signer that holds it.
#[test]
fn no_notice_before_join_and_no_abort_after_the_signature() {
    let mut sim = bound_sim(106);
    let first = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &first);
    let sig = sim.signatures(0, &first)[0];
    // Same keys and message, another session: the old signature verifies for it too.
    sim.nodes[1].auto_join = false;
    let second = sim.create(0, MSG, ElectionMethod::HashBased, TweakSpec::None);
    sim.run_until(sim.now + 100);
    let (seq, now) = (sim.nodes[2].last_seq + 1, sim.now);
    let notice = envelope(
        &sim.nodes[2].sk.clone(),
        second,
        0,
        seq,
        now,
        Message::SignatureNotice(sig),
    );
    let peer2 = sim.nodes[2].peer.clone();
    assert!(matches!(
        sim.inject(1, &peer2, &notice),
        Err(Error::OutOfPhase {
            kind: Kind::SignatureNotice,
            ..
        })
    ));
    assert_eq!(sim.phase(1, &second), Some(Phase::Announced));
    assert!(sim.signatures(1, &second).is_empty());

    // Node 1 joins; node 2's notice to it is held back so it stays confirming.
    sim.blocked.push((Some(2), 1, Kind::SignatureNotice));
    join(&mut sim, 1, &second);
    assert!(sim.run_while(sim.now + 10_000, |s| !s.signatures(1, &second).is_empty()));
    assert_ne!(sim.phase(1, &second), Some(Phase::Completed));
    let (seq, now) = (sim.nodes[2].last_seq + 1, sim.now);
    let abort = envelope(
        &sim.nodes[2].sk.clone(),
        second,
        0,
        seq,
        now,
        Message::Abort(Abort {
            reason: AbortReason::Misbehaviour,
            detail: String::new(),
        }),
    );
    let _ = sim.inject(1, &peer2, &abort);
    assert_ne!(sim.phase(1, &second), Some(Phase::Aborted));
    complete(&mut sim, &second);
}

/// Class 10a: with an RNG that repeats its output, nonces of two sessions over the same keys
/// and message, and of two attempts, still differ (the session and attempt are bound in).
#[test]
fn nonces_bind_the_session_and_attempt() {
    use musig2_session::crypto::{Scheme, SecretKey};
    use musig2_session::Machine;
    struct Stuck;
    impl rand_core::RngCore for Stuck {
        fn next_u32(&mut self) -> u32 {
            7
        }
        fn next_u64(&mut self) -> u64 {
            7
        }
        fn fill_bytes(&mut self, d: &mut [u8]) {
            d.fill(7);
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand_core::Error> {
            d.fill(7);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for Stuck {}
    for scheme in [Scheme::Bip327, Scheme::Lotus] {
        let sk = |b: u8| SecretKey::from_bytes(&[b; 32]).unwrap();
        let mut m = Machine::new(Config::default(), scheme, sk(1), T0, [0; 32]);
        let keys = vec![m.public_key(), sk(2).public_key().to_bytes()];
        let mut nonces = Vec::new();
        for election in [ElectionMethod::Lexicographic, ElectionMethod::HashBased] {
            let params = SessionParams {
                signers: keys.clone(),
                message: [5u8; 32].to_vec(),
                tweak: TweakSpec::None,
                election,
                tx_type: "spend".into(),
            };
            m.create_session(T0, params, &mut Stuck).unwrap();
        }
        while let Some(t) = m.poll_transmit() {
            if t.bytes.starts_with(musig2_session::inbox::INBOX_MAGIC) {
                continue;
            }
            if let Message::NonceShare(n) = Envelope::decode(&t.bytes).unwrap().message {
                nonces.push(n);
            }
        }
        nonces.dedup();
        assert_eq!(
            nonces.len(),
            2,
            "{scheme:?}: one nonce per session, and they differ"
        );
    }
}

fn advert(sk: &[u8; 32], peer: &PeerId, now: u64, expires_at: u64, seq: u64) -> Vec<u8> {
    advertisement(sk, peer, None, now, expires_at, seq)
}

/// Class 4: 5,000 throwaway peers each get themselves graylisted with five undecodable
/// messages (no signature work). The table (4,096 peers) still graylists the next offender,
/// keeps the honest co-signers' standing, and an honest session completes.
#[test]
fn throwaway_offenders_cannot_pin_the_reputation_table() {
    use musig2_session::reputation::Standing;
    let mut sim = bound_sim(107);
    let first = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &first);
    let honest = [sim.nodes[0].peer.clone(), sim.nodes[2].peer.clone()];
    let before: Vec<i32> = honest.iter().map(|p| score(&sim, 1, p)).collect();
    assert!(before.iter().all(|&s| s > 0));
    let garbage = b"\x01\xff not an envelope";
    for k in 0u32..5_000 {
        let p = PeerId::new(k.to_be_bytes().to_vec());
        for _ in 0..5 {
            let _ = sim.inject(1, &p, garbage);
        }
    }
    let fresh = PeerId::new(b"the next offender".to_vec());
    for _ in 0..5 {
        let _ = sim.inject(1, &fresh, garbage);
    }
    let m = sim.nodes[1].machine.as_ref().unwrap();
    assert!(
        matches!(m.standing(&fresh, sim.now), Standing::Graylisted { .. }),
        "a new offender is still graylisted"
    );
    assert_eq!(m.reputation(&fresh), -50);
    let after: Vec<i32> = honest.iter().map(|p| score(&sim, 1, p)).collect();
    assert_eq!(after, before, "honest standing kept through the churn");
    let id = sim.create(0, MSG, ElectionMethod::HashBased, TweakSpec::None);
    complete(&mut sim, &id);
}

/// Class 5: adverts cannot live forever, far-future or many-identity adverts cannot push an
/// honest signer out of the directory, and a peer at its key cap stays capped through churn.
#[test]
fn advert_lifetimes_directory_and_key_caps_resist_sybils() {
    let mut sim = bound_sim(108);
    let now = sim.now;
    let cfg = Config::default();
    let honest_sk = sim.nodes[2].sk;
    let honest_peer = sim.nodes[2].peer.clone();
    let honest_key = sim.nodes[2].key;
    let forever = advert(&honest_sk, &honest_peer, now, u64::MAX, now * 1024);
    assert_eq!(
        sim.inject(1, &honest_peer, &forever),
        Err(Error::AdvertLifetime)
    );
    sim.now += cfg.advert_interval_ms;
    let now = sim.now;
    let ok = advert(&honest_sk, &honest_peer, now, now + 1_800_000, now * 1024);
    sim.inject(1, &honest_peer, &ok).unwrap();

    // 200 identities, each advertising 10 keys (one a minute, as the rate limit allows),
    // all with the longest lifetime: 2,000 adverts for a directory of 1,024.
    let capped = PeerId::new(b"sybil 0".to_vec());
    for round in 0..11u64 {
        sim.now += cfg.advert_interval_ms;
        let now = sim.now;
        for p in 0..200u64 {
            let peer = PeerId::new(format!("sybil {p}").into_bytes());
            let sk = secret(p + 1_000, round as usize);
            let res = sim.inject(
                1,
                &peer,
                &advert(
                    &sk,
                    &peer,
                    now,
                    now + cfg.max_advert_lifetime_ms,
                    now * 1024,
                ),
            );
            if round == 10 {
                assert!(
                    matches!(res, Err(Error::KeyCapExceeded { cap: 10 })),
                    "{res:?}"
                );
            }
        }
    }
    let m = sim.nodes[1].machine.as_ref().unwrap();
    let known = m.known_signers("spend", sim.now);
    assert!(known.len() <= cfg.max_known_signers);
    assert!(
        known.iter().any(|(k, ..)| *k == honest_key),
        "the honest signer is still discoverable"
    );
    // Churn of 5,000 single-key peers does not reset the capped peer.
    sim.now += cfg.advert_interval_ms;
    let now = sim.now;
    for p in 0..5_000u64 {
        let peer = PeerId::new(format!("churn {p}").into_bytes());
        let sk = secret(p + 9_000, 0);
        let _ = sim.inject(1, &peer, &advert(&sk, &peer, now, now + 60_000, now * 1024));
    }
    let sk = secret(1_000, 77);
    let res = sim.inject(
        1,
        &capped,
        &advert(&sk, &capped, now, now + 60_000, now * 1024),
    );
    assert_eq!(res, Err(Error::KeyCapExceeded { cap: 10 }));
    let id = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &id);
}

/// Class 10c, session side: an advertisement for two types arrives twice (once per topic);
/// the repeat is no rate-limit violation, while another peer replaying it is still refused.
#[test]
fn the_same_advert_on_a_second_topic_is_a_harmless_repeat() {
    let mut sim = bound_sim(109);
    let (sk, peer) = (sim.nodes[2].sk, sim.nodes[2].peer.clone());
    let now = sim.now;
    let bytes = advert(&sk, &peer, now, now + 600_000, now * 1024);
    sim.inject(1, &peer, &bytes).unwrap();
    let before = score(&sim, 1, &peer);
    sim.inject(1, &peer, &bytes)
        .expect("a repeat, not a violation");
    assert_eq!(score(&sim, 1, &peer), before);
    let other = PeerId::new(b"replayer".to_vec());
    assert!(
        matches!(
            sim.inject(1, &other, &bytes),
            Err(Error::Duplicate { .. } | Error::PeerMismatch)
        ),
        "a replay from another peer is refused"
    );
    // A new advertisement within the interval is still a violation.
    let again = advert(&sk, &peer, now, now + 600_000, now * 1024 + 1);
    assert!(matches!(
        sim.inject(1, &peer, &again),
        Err(Error::RateLimited { .. })
    ));
    let id = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &id);
}
