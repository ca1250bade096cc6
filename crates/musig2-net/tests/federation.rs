//! Relays peer into one network (issue 14, item 1), with three real relay processes in a
//! chain R0 — R1 — R2 where each is told only about its neighbour: an advertisement
//! published by a wallet on R0 reaches a watcher on R2, and a session announcement stored
//! through R0 is found from R2, also after R0 is gone.

mod common;

use std::time::Duration;

use common::kad_peer::KadPeer;
use common::relay::{sample, RelayProcess};
use common::{never, start_net_at, PeerOptions, PATIENCE};
use musig2_crypto::scheme::Scheme;
use musig2_net::{NodeEvent, NodeHandle};
use musig2_session::wire::{signers_topic, TweakSpec};
use musig2_session::{ElectionMethod, Event, Phase};

async fn chain_of_three() -> [RelayProcess; 3] {
    let r0 = RelayProcess::start_with("fed-0", &["--topic-types", "spend"]).await;
    let peer0 = r0.tcp.to_string();
    let r1 = RelayProcess::start_with(
        "fed-1",
        &[
            "--topic-types",
            "spend",
            "--peer",
            &peer0,
            "--metrics-addr",
            "127.0.0.1:0",
        ],
    )
    .await;
    let peer1 = r1.tcp.to_string();
    let r2 = RelayProcess::start_with("fed-2", &["--topic-types", "spend", "--peer", &peer1]).await;
    [r0, r1, r2]
}

/// Creates a session over `signers` on `creator` (which announces it in the DHT).
async fn announce(creator: &NodeHandle, signers: Vec<[u8; 33]>, message: Vec<u8>) -> [u8; 32] {
    creator
        .with_machine(move |m, now, rng| {
            m.create_session(
                now,
                musig2_session::SessionParams {
                    signers,
                    message,
                    tweak: TweakSpec::None,
                    election: ElectionMethod::Lexicographic,
                    tx_type: "spend".into(),
                },
                rng,
            )
        })
        .await
        .unwrap()
        .unwrap()
}

/// One network of single-peer networks started apart (peer `i` is the `i`th one's).
fn merged(nets: Vec<common::Net>) -> common::Net {
    let (tx, events) = futures::channel::mpsc::unbounded();
    let mut net = common::Net {
        peers: Vec::new(),
        events,
    };
    for (i, common::Net { peers, mut events }) in nets.into_iter().enumerate() {
        let tx = tx.clone();
        tokio::spawn(async move {
            use futures::StreamExt;
            while let Some((_, at, e)) = events.next().await {
                if tx.unbounded_send((i, at, e)).is_err() {
                    break;
                }
            }
        });
        net.peers.extend(peers);
    }
    net
}

/// The value `finder` gets for `key`, asking again until [`PATIENCE`] runs out.
async fn get_eventually(finder: &KadPeer, key: &[u8], what: &str) -> Vec<u8> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(v) = finder.get(key).await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_told_only_their_neighbour_form_one_dht_and_one_gossip_mesh() {
    let [mut r0, r1, r2] = chain_of_three().await;
    let author = start_net_at(
        Scheme::Bip327,
        1,
        1,
        &PeerOptions::through(vec![r0.tcp.clone()]),
        |_| never(),
    )
    .await;
    let mut watcher = start_net_at(
        Scheme::Bip327,
        2,
        1,
        &PeerOptions {
            auto_join: false,
            ..PeerOptions::through(vec![r2.tcp.clone()])
        },
        |_| never(),
    )
    .await;
    watcher.peers[0]
        .handle
        .subscribe(signers_topic("spend"))
        .await
        .unwrap();
    // Wait until the middle relay holds both neighbours, then let the relays graft their
    // topic meshes (GossipSub heartbeats are 1 s; a message published before that still
    // travels by gossip).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while sample(&r1.scrape().await, "musig2_relay_connected_peers") < Some(2.0) {
        assert!(tokio::time::Instant::now() < deadline, "relays not peered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    // An advertisement published on R0 crosses R1 to the watcher on R2.
    let author_peer = author.peers[0].handle.peer_id().to_bytes();
    author.peers[0]
        .handle
        .with_machine(move |m, now, _| {
            m.advertise(now, vec!["spend".into()], author_peer, None, 600_000)
        })
        .await
        .unwrap()
        .unwrap();
    let author_key = author.peers[0].key;
    watcher
        .wait_for("the advertisement across two relay hops", |_, e| match e {
            NodeEvent::Session(Event::SignerDiscovered { key, .. }) if *key == author_key => {
                Some(())
            }
            _ => None,
        })
        .await;

    // A session announcement stored through R0 is found from R2 ...
    let message = vec![0x33; 32];
    let signers = vec![author_key, watcher.peers[0].key];
    let session_id = announce(&author.peers[0].handle, signers, message).await;
    let finder = KadPeer::connect(77, &r2.tcp).await;
    let found = get_eventually(&finder, &session_id, "record not found from R2").await;
    let info = musig2_session::record::validate_announcement_record(
        &session_id,
        &found,
        musig2_net::clock::now_ms(),
    )
    .expect("the record found is the valid announcement");
    assert_eq!(info.session_id, session_id);

    // ... and still after R0, the relay it was published through, has stopped.
    drop(author);
    r0.terminate().await;
    let late = KadPeer::connect(78, &r2.tcp).await;
    assert_eq!(
        late.get(&session_id).await.as_deref(),
        Some(found.as_slice()),
        "a replica survives on the other relays"
    );
    r1.stop().await;
    r2.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_restarted_with_its_data_dir_serves_the_records_it_held() {
    let relay = RelayProcess::start("persist").await;
    let author = start_net_at(
        Scheme::Bip327,
        5,
        1,
        &PeerOptions::through(vec![relay.tcp.clone()]),
        |_| never(),
    )
    .await;
    let other = musig2_crypto::scheme::SecretKey::from_bytes(&[0x44; 32])
        .unwrap()
        .public_key()
        .to_bytes();
    let signers = vec![author.peers[0].key, other];
    let session_id = announce(&author.peers[0].handle, signers, vec![0x45; 32]).await;
    let finder = KadPeer::connect(79, &relay.tcp).await;
    let stored = get_eventually(&finder, &session_id, "record not stored").await;
    drop(finder);
    drop(author);
    // SIGTERM, then the same port and data folder: the record is served again, with no
    // wallet around to publish it anew.
    let relay = relay.restart().await;
    let after = KadPeer::connect(80, &relay.tcp).await;
    assert_eq!(after.get(&session_id).await, Some(stored));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallets_on_different_relays_find_each_other_and_sign() {
    let r0 = RelayProcess::start("route-0").await;
    let peer0 = r0.tcp.to_string();
    let r1 = RelayProcess::start_with("route-1", &["--peer", &peer0]).await;
    // The creator holds a reservation only on R0, the other signer only on R1.
    let mut nets = Vec::new();
    for (i, relay) in [(20u8, &r0), (21, &r1)] {
        let opts = PeerOptions::through(vec![relay.tcp.clone()]);
        nets.push(start_net_at(Scheme::Bip327, i, 1, &opts, |_| never()).await);
    }
    let mut net = merged(nets);
    let message = vec![0x66; 32];
    net.create(
        0,
        TweakSpec::None,
        ElectionMethod::Lexicographic,
        message.clone(),
    )
    .await;
    net.assert_signed(&[0, 1], true, Scheme::Bip327, TweakSpec::None, &message)
        .await;
    r0.stop().await;
    r1.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_survives_a_relay_killed_mid_session_when_every_wallet_holds_two() {
    let mut r0 = RelayProcess::start("redundant-0").await;
    let peer0 = r0.tcp.to_string();
    let r1 = RelayProcess::start_with("redundant-1", &["--peer", &peer0]).await;
    let opts = PeerOptions::through(vec![r0.tcp.clone(), r1.tcp.clone()]);
    // Every signer pauses right after round 1, so R0 dies between the rounds.
    let mut net = start_net_at(Scheme::Bip327, 30, 3, &opts, |_| {
        common::pause_at(Phase::PartialSigCollection)
    })
    .await;
    let message = vec![0x77; 32];
    net.create(
        0,
        TweakSpec::None,
        ElectionMethod::Lexicographic,
        message.clone(),
    )
    .await;
    for _ in 0..3 {
        net.wait_for("round 1 done", |_, e| {
            matches!(
                e,
                NodeEvent::Session(Event::PhaseChanged {
                    phase: Phase::PartialSigCollection,
                    ..
                })
            )
            .then_some(())
        })
        .await;
    }
    r0.terminate().await;
    for p in &net.peers {
        p.gate.resume();
    }
    net.assert_signed(&[0, 1, 2], true, Scheme::Bip327, TweakSpec::None, &message)
        .await;
    r1.stop().await;
}

/// Issue 14 item 4: a wallet that starts after a session naming it was announced discovers
/// it within 10 s, although the creator and the relay it announced through are gone and no
/// signer is online to tell it: its inbox record, replicated to the other relays, names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_signer_finds_a_session_whose_creator_and_relay_are_gone() {
    let [mut r0, r1, r2] = chain_of_three().await;
    let creator = start_net_at(
        Scheme::Bip327,
        40,
        1,
        &PeerOptions::through(vec![r0.tcp.clone()]),
        |_| never(),
    )
    .await;
    let key_of = |i: u8| {
        musig2_crypto::scheme::SecretKey::from_bytes(&common::secret_of(i, Scheme::Bip327))
            .unwrap()
            .public_key()
            .to_bytes()
    };
    let (late, absent) = (key_of(41), key_of(42));
    let signers = vec![creator.peers[0].key, late, absent];
    let session_id = announce(&creator.peers[0].handle, signers, vec![0x46; 32]).await;
    // Both records have reached the far end of the chain before R0 and the creator go.
    let finder = KadPeer::connect(81, &r2.tcp).await;
    let inbox = musig2_session::inbox::inbox_key(&late);
    get_eventually(&finder, &inbox, "inbox record not found from R2").await;
    get_eventually(&finder, &session_id, "announcement not found from R2").await;
    drop(finder);
    creator.peers[0].gate.kill();
    drop(creator);
    r0.terminate().await;
    let t0 = std::time::Instant::now();
    let mut net = start_net_at(
        Scheme::Bip327,
        41,
        1,
        &PeerOptions::through(vec![r2.tcp.clone()]),
        |_| never(),
    )
    .await;
    let (_, at, ()) = net
        .wait_for("the late signer discovers the session", |_, e| {
            matches!(
                e,
                NodeEvent::Session(Event::SessionDiscovered { session_id: id, .. })
                    if *id == session_id
            )
            .then_some(())
        })
        .await;
    let took = at.duration_since(t0);
    println!("late signer discovered the session {took:?} after start");
    assert!(took < Duration::from_secs(10), "discovered after {took:?}");
    r1.stop().await;
    r2.stop().await;
}

/// Issue 14 item 5: a wallet given only R0 learns R1 from the DHT and holds a reservation on
/// it too, so when R0 dies it is told (`RelayLost`) and still signs with a wallet that uses
/// only R1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_given_one_relay_holds_two_and_survives_losing_the_first() {
    let mut r0 = RelayProcess::start("pool-0").await;
    let peer0 = r0.tcp.to_string();
    let r1 = RelayProcess::start_with("pool-1", &["--peer", &peer0]).await;
    let relay_id = |a: &musig2_net::libp2p::Multiaddr| musig2_net::node::peer_id_of(a).ok();
    let (r0_id, r1_id) = (relay_id(&r0.tcp), relay_id(&r1.tcp));
    let mut opts = PeerOptions::through(vec![r0.tcp.clone()]);
    opts.min_relays = 2;
    let pooled = start_net_at(Scheme::Bip327, 50, 1, &opts, |_| never()).await;
    // The other signer is on R1 only, and knows nothing of R0.
    let only_r1 = PeerOptions::through(vec![r1.tcp.clone()]);
    let other = start_net_at(Scheme::Bip327, 51, 1, &only_r1, |_| never()).await;
    let mut net = merged(vec![pooled, other]);
    let through = |e: &NodeEvent| match e {
        // `<relay addr>/p2p/<relay>/p2p-circuit/p2p/<us>`: the relay is third from the end.
        NodeEvent::RelayReserved {
            circuit_address, ..
        } => {
            use musig2_net::libp2p::multiaddr::Protocol;
            let relay: musig2_net::libp2p::Multiaddr = circuit_address
                .iter()
                .take_while(|p| *p != Protocol::P2pCircuit)
                .collect();
            relay_id(&relay)
        }
        _ => None,
    };
    net.wait_for("a reservation on the relay learnt from the DHT", |i, e| {
        (i == 0 && through(e) == r1_id).then_some(())
    })
    .await;
    r0.terminate().await;
    let (_, _, lost) = net
        .wait_for("the first relay reported lost", |i, e| match e {
            NodeEvent::RelayLost { relay } if i == 0 => Some(*relay),
            _ => None,
        })
        .await;
    assert_eq!(Some(lost), r0_id);
    let message = vec![0x88; 32];
    net.create(
        1,
        TweakSpec::None,
        ElectionMethod::Lexicographic,
        message.clone(),
    )
    .await;
    net.assert_signed(&[0, 1], true, Scheme::Bip327, TweakSpec::None, &message)
        .await;
    r1.stop().await;
}

/// Issue 14: in a chain R0 — R1 — R2 (each relay told only about its neighbour), one wallet on
/// each relay signs 3-of-3 in both schemes; the creator (on R0) and the signer on R2 are two
/// relay hops apart and share no relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_wallet_on_each_relay_of_a_chain_signs_in_both_schemes() {
    let relays = chain_of_three().await;
    for (scheme, first) in [(Scheme::Bip327, 60u8), (Scheme::Lotus, 70)] {
        let mut nets = Vec::new();
        for (i, relay) in relays.iter().enumerate() {
            let opts = PeerOptions::through(vec![relay.tcp.clone()]);
            let seed = first + u8::try_from(i).unwrap();
            nets.push(start_net_at(scheme, seed, 1, &opts, |_| never()).await);
        }
        let mut net = merged(nets);
        let message = vec![first; 32];
        net.create(
            0,
            TweakSpec::None,
            ElectionMethod::Lexicographic,
            message.clone(),
        )
        .await;
        net.assert_signed(&[0, 1, 2], true, scheme, TweakSpec::None, &message)
            .await;
    }
    for r in relays {
        r.stop().await;
    }
}
