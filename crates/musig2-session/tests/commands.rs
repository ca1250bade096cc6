//! Local commands and discovery flows of the machine.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use musig2_session::crypto::{Scheme, SecretKey};
use musig2_session::identity::{IdentityTier, IdentityVerifier};
use musig2_session::wire::{AbortReason, IdentityClaim, KeyBytes, SigningRequest, TweakSpec};
use musig2_session::{
    Config, DecodeError, Destination, ElectionMethod, Error, Event, Machine, Phase, SessionParams,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(42)
}

fn machine(i: usize, config: Config, scheme: Scheme) -> Machine {
    Machine::new(
        config,
        scheme,
        SecretKey::from_bytes(&secret(9, i)).unwrap(),
        T0,
        [i as u8; 32],
    )
}

fn params(signers: Vec<KeyBytes>, message: &[u8]) -> SessionParams {
    SessionParams {
        signers,
        message: message.to_vec(),
        tweak: TweakSpec::None,
        election: ElectionMethod::Lexicographic,
        tx_type: "spend".into(),
    }
}

#[test]
fn create_session_checks_its_parameters() {
    let mut m = machine(0, Config::default(), Scheme::Bip327);
    let me = m.public_key();
    let other = machine(1, Config::default(), Scheme::Bip327).public_key();
    let stranger = machine(2, Config::default(), Scheme::Bip327).public_key();
    assert_eq!(
        m.create_session(T0, params(vec![other, stranger], b"m"), &mut rng()),
        Err(Error::InvalidCommand("not a signer"))
    );
    assert!(matches!(
        m.create_session(T0, params(vec![me], b"m"), &mut rng()),
        Err(Error::Decode(DecodeError::LengthOutOfRange { .. }))
    ));
    assert_eq!(m.poll_timeout(), None, "idle machines need no timer");
    let id = m
        .create_session(T0, params(vec![me, other], b"m"), &mut rng())
        .unwrap();
    assert!(m.poll_timeout().is_some());
    let sent: Vec<_> = std::iter::from_fn(|| m.poll_transmit()).collect();
    assert!(sent.iter().any(|t| t.to == Destination::DhtPut(id)));
    assert!(sent.iter().any(|t| t.to == Destination::Signer(other)));
    assert_eq!(m.session(&id).unwrap().phase, Phase::Joining);
    assert_eq!(
        m.join(T0, &id, &mut rng()),
        Err(Error::InvalidCommand("already joined or ended"))
    );
    assert_eq!(
        m.join(T0, &[0; 32], &mut rng()),
        Err(Error::InvalidCommand("unknown session"))
    );
}

#[test]
fn lotus_sessions_need_32_byte_messages() {
    let mut m = machine(0, Config::default(), Scheme::Lotus);
    let other = machine(1, Config::default(), Scheme::Lotus).public_key();
    let me = m.public_key();
    assert!(matches!(
        m.create_session(T0, params(vec![me, other], b"short"), &mut rng()),
        Err(Error::Decode(DecodeError::LengthOutOfRange {
            min: 32,
            max: 32,
            ..
        }))
    ));
    assert!(m
        .create_session(T0, params(vec![me, other], &[7; 32]), &mut rng())
        .is_ok());
}

#[test]
fn session_capacity_is_bounded() {
    let config = Config {
        max_sessions: 2,
        ..Config::default()
    };
    let mut m = machine(0, config, Scheme::Bip327);
    let me = m.public_key();
    let other = machine(1, Config::default(), Scheme::Bip327).public_key();
    m.create_session(T0, params(vec![me, other], b"m"), &mut rng())
        .unwrap();
    assert_eq!(
        m.create_session(T0, params(vec![me, other], b"m"), &mut rng()),
        Err(Error::InvalidCommand("session exists")),
        "same salt, same ID"
    );
    m.create_session(
        T0,
        params(vec![me, other], b"m"),
        &mut ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap();
    assert_eq!(
        m.create_session(
            T0,
            params(vec![me, other], b"m"),
            &mut ChaCha20Rng::seed_from_u64(2)
        ),
        Err(Error::Capacity("sessions"))
    );
}

#[test]
fn declining_aborts_the_session_everywhere() {
    let mut sim = Sim::new(3, 3, NetParams::perfect(), Config::default());
    sim.nodes[2].auto_join = false;
    let id = sim.create(
        0,
        b"declined",
        ElectionMethod::Lexicographic,
        TweakSpec::None,
    );
    sim.run_while(T0 + 1_000, |s| s.phase(2, &id) == Some(Phase::Announced));
    let now = sim.now;
    sim.nodes[2]
        .machine
        .as_mut()
        .unwrap()
        .decline(now, &id)
        .unwrap();
    sim.drain(2);
    assert!(sim.run_while(T0 + 5_000, |s| (0..3)
        .all(|i| s.phase(i, &id) == Some(Phase::Aborted))));
    let decliner = sim.nodes[2].key;
    for i in 0..2 {
        assert!(sim.nodes[i].events.iter().any(|(_, e)| *e
            == Event::Aborted {
                session_id: id,
                by: decliner,
                reason: AbortReason::Declined
            }));
    }
    assert_eq!(
        sim.nodes[2].machine.as_mut().unwrap().abort(now, &id),
        Err(Error::InvalidCommand("session ended"))
    );
}

#[test]
fn local_abort_stops_a_running_session() {
    let mut sim = Sim::new(4, 3, NetParams::perfect(), Config::default());
    let id = sim.create(0, b"abort", ElectionMethod::Lexicographic, TweakSpec::None);
    // Joined, round 1 under way (nonces are sent on joining).
    assert!(sim.run_while(T0 + 1_000, |s| {
        matches!(
            s.phase(1, &id),
            Some(Phase::Joining | Phase::NonceCollection)
        )
    }));
    let now = sim.now;
    sim.nodes[1]
        .machine
        .as_mut()
        .unwrap()
        .abort(now, &id)
        .unwrap();
    sim.drain(1);
    sim.run_until(T0 + 5_000);
    for i in 0..3 {
        assert_eq!(sim.phase(i, &id), Some(Phase::Aborted), "node {i}");
        assert!(sim.signatures(i, &id).is_empty());
    }
}

#[test]
fn advertisements_reach_every_peer_and_fill_the_directory() {
    let mut sim = Sim::new(5, 3, NetParams::perfect(), Config::default());
    let now = sim.now;
    let peer = sim.nodes[0].peer.0.clone();
    sim.nodes[0]
        .machine
        .as_mut()
        .unwrap()
        .advertise(
            now,
            vec!["spend".into(), "swap".into()],
            peer,
            None,
            3_600_000,
        )
        .unwrap();
    let topics: Vec<_> =
        std::iter::from_fn(|| sim.nodes[0].machine.as_mut().unwrap().poll_transmit())
            .map(|t| t.to)
            .collect();
    assert_eq!(
        topics,
        vec![
            Destination::Topic("musig2:signers:spend".into()),
            Destination::Topic("musig2:signers:swap".into())
        ]
    );
    // Publish once (the harness floods topics to every node).
    let now = sim.now;
    let peer = sim.nodes[0].peer.0.clone();
    sim.nodes[0]
        .machine
        .as_mut()
        .unwrap()
        .advertise(now, vec!["spend".into()], peer, None, 3_600_000)
        .unwrap();
    sim.drain(0);
    sim.run_until(T0 + 1_000);
    let key = sim.nodes[0].key;
    for i in 1..3 {
        let m = sim.nodes[i].machine.as_ref().unwrap();
        let found = m.known_signers("spend", sim.now);
        assert_eq!(
            found,
            vec![(key, sim.nodes[0].peer.clone(), IdentityTier::Unverified)]
        );
        assert!(m.known_signers("swap", sim.now).is_empty());
    }
}

/// A lifetime of 0 or beyond `max_advert_lifetime_ms` is refused before anything is sent
/// (receivers would refuse it); an honest advertisement alongside fills the directory with
/// every field the JS `knownSigners` reports.
#[test]
fn advert_lifetimes_are_bounded_and_entries_carry_every_field() {
    let cfg = Config::default();
    let mut sim = Sim::new(6, 2, NetParams::perfect(), cfg.clone());
    let now = sim.now;
    let peer = sim.nodes[0].peer.0.clone();
    let m = sim.nodes[0].machine.as_mut().unwrap();
    for lifetime in [0, cfg.max_advert_lifetime_ms + 1, u64::MAX] {
        let r = m.advertise(now, vec!["spend".into()], peer.clone(), None, lifetime);
        assert_eq!(r, Err(Error::AdvertLifetime), "lifetime {lifetime}");
    }
    assert!(
        m.poll_transmit().is_none(),
        "nothing sent for a refused lifetime"
    );
    m.advertise(
        now,
        vec!["spend".into(), "swap".into()],
        peer,
        None,
        cfg.max_advert_lifetime_ms,
    )
    .unwrap();
    sim.drain(0);
    sim.run_until(T0 + 1_000);
    let key = sim.nodes[0].key;
    let m1 = sim.nodes[1].machine.as_ref().unwrap();
    let entries = m1.signer_entries("swap", sim.now);
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.key, key);
    assert_eq!(e.peer, sim.nodes[0].peer);
    assert_eq!(e.tx_types, vec!["spend".to_string(), "swap".to_string()]);
    assert_eq!(e.expires_at, now + cfg.max_advert_lifetime_ms);
    assert_eq!(e.tier, IdentityTier::Unverified);
    assert_eq!(m1.signer_entry(&key, sim.now).as_ref(), Some(e));
    assert_eq!(m1.signer_entry(&key, e.expires_at), None, "expired");
    assert!(m1.signer_entries("swap", e.expires_at).is_empty());
}

struct Everyone(IdentityTier);

impl IdentityVerifier for Everyone {
    fn tier(&self, _key: &KeyBytes, claim: Option<&IdentityClaim>) -> IdentityTier {
        if claim.is_some() {
            self.0
        } else {
            IdentityTier::Unverified
        }
    }
}

#[test]
fn verified_identities_raise_the_key_cap() {
    let mut target = machine(0, Config::default(), Scheme::Bip327);
    target.set_identity_verifier(Box::new(Everyone(IdentityTier::Verified)));
    let peer = musig2_session::PeerId::new(b"wallet-farm".to_vec());
    let claim = IdentityClaim {
        registration: musig2_session::wire::OutPoint {
            txid: [1; 32],
            vout: 0,
        },
        rotation: None,
    };
    let mut now = T0;
    for i in 0..12 {
        now += 61_000;
        let mut m = Machine::new(
            Config::default(),
            Scheme::Bip327,
            SecretKey::from_bytes(&secret(50, i)).unwrap(),
            now,
            [0; 32],
        );
        m.advertise(
            now,
            vec!["spend".into()],
            peer.0.clone(),
            Some(claim),
            3_600_000,
        )
        .unwrap();
        let bytes = m.poll_transmit().unwrap().bytes;
        assert_eq!(
            target.handle_message(now, &peer, &bytes, &mut rng()),
            Ok(()),
            "key {i}"
        );
    }
    let discovered: Vec<_> = std::iter::from_fn(|| target.poll_event()).collect();
    assert_eq!(discovered.len(), 12);
    assert!(discovered.iter().all(|e| matches!(
        e,
        Event::SignerDiscovered {
            tier: IdentityTier::Verified,
            ..
        }
    )));
}

#[test]
fn signing_requests_are_answered() {
    let mut sim = Sim::new(6, 2, NetParams::perfect(), Config::default());
    let keys = sim.keys();
    let request = SigningRequest {
        tx_type: "spend".into(),
        message: b"pay".to_vec(),
        signers: keys.clone(),
        expires_at: T0 + 60_000,
    };
    let now = sim.now;
    sim.nodes[0]
        .machine
        .as_mut()
        .unwrap()
        .request_signature(now, [9; 32], request.clone(), &[keys[1]])
        .unwrap();
    sim.drain(0);
    sim.run_until(T0 + 100);
    let got = sim.nodes[1].events.iter().find_map(|(_, e)| match e {
        Event::SigningRequested {
            request_id,
            from,
            request,
        } => Some((*request_id, *from, request.clone())),
        _ => None,
    });
    assert_eq!(got, Some(([9; 32], keys[0], request)));
    let now = sim.now;
    sim.nodes[1]
        .machine
        .as_mut()
        .unwrap()
        .accept_request(now, [9; 32], keys[0]);
    sim.drain(1);
    sim.run_until(T0 + 200);
    assert!(sim.nodes[0].events.iter().any(|(_, e)| *e
        == Event::RequestAccepted {
            request_id: [9; 32],
            signer: keys[1]
        }));
}

#[test]
fn sessions_found_through_the_dht_record() {
    let mut sim = Sim::new(7, 2, NetParams::perfect(), Config::default());
    sim.blocked
        .push((Some(0), 1, musig2_session::wire::Kind::SessionAnnouncement));
    let id = sim.create(0, b"dht", ElectionMethod::Lexicographic, TweakSpec::None);
    assert!(sim.run_while(T0 + 10_000, |s| s.all_completed(&id)));
    assert!(sim.nodes[1]
        .events
        .iter()
        .any(|(_, e)| *e == Event::SessionLookup { session_id: id }));
    let record = sim.dht.get(&id).unwrap().clone();
    let sk = SecretKey::from_bytes(&sim.nodes[1].sk).unwrap();
    let mut fresh = Machine::new(Config::default(), Scheme::Bip327, sk, T0, [3; 32]);
    assert_eq!(fresh.handle_dht_record(T0 + 1, &record), Ok(()));
    assert_eq!(fresh.session(&id).unwrap().phase, Phase::Announced);
    let mut tampered = record;
    tampered[150] ^= 1;
    assert_eq!(
        fresh.handle_dht_record(T0 + 1, &tampered),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn unjoined_invitations_are_capped_per_delivering_peer_oldest_evicted() {
    let mut sim = Sim::new(8, 2, NetParams::perfect(), Config::default());
    sim.nodes[1].auto_join = false;
    let cap = Config::default().max_invitations_per_peer;
    let mut ids = Vec::new();
    for k in 0..=cap {
        ids.push(sim.create(
            0,
            format!("m{k}").as_bytes(),
            ElectionMethod::Lexicographic,
            TweakSpec::None,
        ));
        sim.run_until(sim.now + 100);
    }
    let known: Vec<bool> = ids.iter().map(|id| sim.phase(1, id).is_some()).collect();
    assert_eq!(known.iter().filter(|&&k| k).count(), cap);
    assert!(!known[0], "the oldest invitation of that peer made room");
    assert!(known[cap], "the newest is kept: nothing is refused");
    // Joining one moves it into our own budget; the others stay.
    let now = sim.now;
    let mut r = rng();
    sim.nodes[1]
        .machine
        .as_mut()
        .unwrap()
        .join(now, &ids[cap], &mut r)
        .unwrap();
    sim.drain(1);
    assert_eq!(sim.phase(1, &ids[1]), Some(Phase::Announced));
}

#[test]
fn the_machine_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Machine>();
}

#[test]
fn a_nonce_that_overtakes_the_announcement_is_kept_for_the_join() {
    let mut sim = Sim::new(6, 3, NetParams::perfect(), Config::default());
    sim.record = true;
    // Node 2 learns of the session only from node 0's nonce (then from the DHT).
    sim.blocked
        .push((Some(0), 2, musig2_session::wire::Kind::SessionAnnouncement));
    let id = sim.create(
        0,
        b"overtaken",
        ElectionMethod::Lexicographic,
        TweakSpec::None,
    );
    assert!(sim.run_while(T0 + 500, |s| s.all_completed(&id)));
    assert!(
        sim.nodes[2].errors.contains(&Error::UnknownSession),
        "node 0's nonce did arrive before the announcement"
    );
    // Node 2 used the nonce that overtook the announcement: node 0 never had to send it again.
    let nonce_shares = sim.nodes[0]
        .sent
        .iter()
        .filter(|b| {
            musig2_session::wire::Envelope::decode(b)
                .is_ok_and(|e| matches!(e.message, musig2_session::wire::Message::NonceShare(_)))
        })
        .count();
    assert_eq!(nonce_shares, 2, "one NonceShare to each other signer");
    let keys = sim.keys();
    for i in 0..3 {
        let sigs = sim.signatures(i, &id);
        assert!(!sigs.is_empty() && verify_final(&keys, TweakSpec::None, b"overtaken", &sigs[0]));
    }
}

#[test]
fn a_session_on_a_clean_network_sends_each_contribution_once() {
    use musig2_session::wire::{Envelope, Kind};
    let mut sim = Sim::new(7, 3, NetParams::perfect(), Config::default());
    sim.record = true;
    let id = sim.create(1, b"once", ElectionMethod::Lexicographic, TweakSpec::None);
    assert!(sim.run_while(T0 + 500, |s| s.all_completed(&id)));
    for i in 0..3 {
        let kinds: Vec<Kind> = sim.nodes[i]
            .sent
            .iter()
            .filter_map(|b| Envelope::decode(b).ok())
            .filter(|e| e.session_id == id && e.message.kind() != Kind::SessionAnnouncement)
            .map(|e| e.message.kind())
            .collect();
        let count = |k: Kind| kinds.iter().filter(|&&x| x == k).count();
        // No join round, no retransmission or heartbeat before an interval has passed.
        assert_eq!(count(Kind::NonceShare), 2, "node {i}: {kinds:?}");
        assert_eq!(count(Kind::PartialSigShare), 2, "node {i}: {kinds:?}");
        assert_eq!(count(Kind::SignatureNotice), 2, "node {i}: {kinds:?}");
        assert_eq!(kinds.len(), 6, "node {i}: {kinds:?}");
    }
}

#[test]
fn a_partial_signature_that_overtakes_a_nonce_is_held_from_the_joining_phase() {
    use musig2_session::wire::Kind;
    let mut sim = Sim::new(8, 3, NetParams::perfect(), Config::default());
    // Node 1 misses node 2's nonce (which is also node 2's join there) until node 2 re-sends
    // it, while node 0 already has every nonce and sends node 1 its partial signature.
    sim.blocked.push((Some(2), 1, Kind::NonceShare));
    let id = sim.create(
        0,
        b"reordered",
        ElectionMethod::Lexicographic,
        TweakSpec::None,
    );
    assert!(
        sim.run_while(T0 + 300, |s| s.phase(0, &id) >= Some(Phase::Aggregation)
            || s.phase(0, &id) == Some(Phase::PartialSigCollection))
    );
    sim.run_until(sim.now + 100);
    assert_eq!(sim.phase(1, &id), Some(Phase::Joining));
    sim.blocked.clear();
    assert!(sim.run_while(sim.now + 10_000, |s| s.all_completed(&id)));
    let refused: Vec<_> = sim.nodes[1]
        .errors
        .iter()
        .filter(|e| {
            matches!(
                e,
                Error::OutOfPhase {
                    kind: Kind::PartialSigShare,
                    ..
                }
            )
        })
        .collect();
    assert!(refused.is_empty(), "held, not refused: {refused:?}");
}

#[test]
fn a_bad_message_kept_for_the_join_is_blamed_on_its_sender_then() {
    use musig2_session::wire::{Envelope, Kind, Message, SchemeId};
    let mut sim = Sim::new(9, 3, NetParams::perfect(), Config::default());
    sim.nodes[2].auto_join = false;
    sim.blocked.push((Some(0), 2, Kind::SessionAnnouncement));
    let id = sim.create(
        0,
        b"blame later",
        ElectionMethod::Lexicographic,
        TweakSpec::None,
    );
    // Before node 2 knows the session: a nonce that is not a pair of curve points, correctly
    // signed by node 1's key and delivered by node 1's transport peer.
    let forged = common::arena::seal(
        &sim.nodes[1].sk.clone(),
        Envelope {
            scheme: SchemeId::Bip327,
            session_id: id,
            sender: sim.nodes[1].key,
            attempt: 0,
            seq: sim.nodes[1].last_seq + 1_000_000,
            timestamp: sim.now,
            message: Message::NonceShare([0xFF; 66]),
            signature: [0; 64],
        },
    );
    let peer = sim.nodes[1].peer.clone();
    assert_eq!(sim.inject(2, &peer, &forged), Err(Error::UnknownSession));
    let before = sim.nodes[2].machine.as_ref().unwrap().reputation(&peer);
    let now = sim.now;
    sim.nodes[2]
        .machine
        .as_mut()
        .unwrap()
        .join(now, &id, &mut rng())
        .unwrap();
    let after = sim.nodes[2].machine.as_ref().unwrap().reputation(&peer);
    assert!(after < before, "penalized at the join: {before} -> {after}");
}

#[test]
fn retransmissions_back_off_while_a_signer_stays_silent() {
    use musig2_session::wire::{Envelope, Kind};
    let mut sim = Sim::new(10, 3, NetParams::perfect(), Config::default());
    sim.record = true;
    let id = sim.create(0, b"silent", ElectionMethod::Lexicographic, TweakSpec::None);
    sim.crash(2);
    sim.run_until(T0 + 16_500);
    let sent: Vec<u64> = sim.nodes[0]
        .sent
        .iter()
        .filter_map(|b| Envelope::decode(b).ok())
        .filter(|e| e.session_id == id && e.message.kind() == Kind::NonceShare)
        .map(|e| e.timestamp - T0)
        .collect();
    // The first share to each of the two others, then re-sends to the silent one after 1, 2,
    // 4 and 8 s (not every second: that would be 16 re-sends).
    assert_eq!(sent.len(), 6, "at ms {sent:?}");
    let gaps: Vec<u64> = sent[2..].windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.windows(2).all(|g| g[1] >= 2 * g[0] - 50),
        "each wait doubles: {sent:?}"
    );
}
