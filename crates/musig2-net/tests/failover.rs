//! The coordinator dies after round 2, holding its share of the work but before it delivers
//! the final signature; the next signer in the failover order aggregates and delivers.
//!
//! Determinism: every peer runs under a gate (see `common/gate.rs`).
//! 1. The coordinator C creates the session; once the others hold its announcement and join,
//!    C pauses.
//! 2. The others join and swap nonces; they wait for C's nonce, and are paused.
//! 3. C resumes, takes every join and nonce, signs, and pauses right after sending its nonce
//!    and partial signature. Nobody else has signed, so C cannot hold all partial signatures.
//! 4. The others resume, sign, and reach round 2's end (phase Aggregation); C is killed
//!    (its connections close) or stays frozen (paused for good, its connections open: only
//!    its silence tells, after the liveness timeout).

mod common;

use std::time::{Duration, Instant};

use common::relay::RelayProcess;
use common::{assert_valid, start_net, Net, PeerOptions};
use musig2_crypto::scheme::Scheme;
use musig2_net::libp2p::multiaddr::Protocol;
use musig2_net::NodeEvent;
use musig2_session::crypto::Signature;
use musig2_session::wire::KeyBytes;
use musig2_session::wire::TweakSpec;
use musig2_session::{Config, ElectionMethod, Event, Phase};

/// What the survivors report after the coordinator died.
enum Seen {
    Failover(KeyBytes),
    Signature(Signature, bool),
    Duty,
    Completed,
}

fn phase_of(e: &NodeEvent) -> Option<Phase> {
    match e {
        NodeEvent::Session(Event::PhaseChanged { phase, .. }) => Some(*phase),
        _ => None,
    }
}

/// Opens a connection between every pair, so that a paused peer's messages already have a
/// connection to travel on (a new connection would wait for its paused driver).
async fn connect_all(net: &Net, relay: &RelayProcess) {
    for i in 0..net.peers.len() {
        for j in (i + 1)..net.peers.len() {
            let target = relay
                .tcp
                .clone()
                .with(Protocol::P2pCircuit)
                .with(Protocol::P2p(net.peers[j].handle.peer_id()));
            net.peers[i]
                .handle
                .send_direct(target, b"hello".to_vec())
                .await
                .unwrap();
        }
    }
}

/// Waits until peer `i` is in `phase` and waits for nobody but `pending`.
async fn wait_until_waiting_for(
    net: &Net,
    i: usize,
    id: [u8; 32],
    phase: Phase,
    pending: [u8; 33],
) {
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let info = net.peers[i]
            .handle
            .with_machine(move |m, _, _| m.session(&id))
            .await
            .unwrap();
        if let Some(info) = info {
            if info.phase == phase && info.waiting_for == vec![pending] {
                return;
            }
        }
        assert!(Instant::now() < deadline, "peer {i} never got there");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until peer `i` holds the contribution of `key` to its current phase, resuming the
/// coordinator (peer 0) while it does not.
async fn wait_until_not_waiting_for(net: &Net, i: usize, id: [u8; 32], key: [u8; 33]) {
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let info = net.peers[i]
            .handle
            .with_machine(move |m, _, _| m.session(&id))
            .await
            .unwrap()
            .expect("the session");
        if info.phase >= Phase::PartialSigCollection && !info.waiting_for.contains(&key) {
            return;
        }
        if info.phase == Phase::PartialSigCollection {
            net.peers[0].gate.resume();
        }
        assert!(Instant::now() < deadline, "peer {i} never got it");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Joins peer `i` to session `id`.
async fn join(net: &Net, i: usize, id: [u8; 32]) {
    net.peers[i]
        .handle
        .with_machine(move |m, now, rng| m.join(now, &id, rng))
        .await
        .unwrap()
        .unwrap();
}

/// How the coordinator goes away after round 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gone {
    /// Its swarm is dropped: every connection closes.
    Killed,
    /// Its driver is never polled again, its connections stay open (a frozen process).
    Frozen,
}

async fn coordinator_dies_after_round_two(scheme: Scheme, gone: Gone) {
    let relay = RelayProcess::start(&format!("failover-{scheme:?}")).await;
    let mut opts = PeerOptions::through(vec![relay.tcp.clone()]);
    opts.auto_join = false;
    // Peer 0 creates the session and, with the first-signer election, coordinates.
    let mut net = start_net(scheme, 3, &opts, |i| {
        Box::new(move |e| i == 0 && phase_of(e) == Some(Phase::PartialSigCollection))
    })
    .await;
    connect_all(&net, &relay).await;
    let message = vec![0x77u8; 32];
    let tweak = TweakSpec::None;
    let id = net
        .create(0, tweak, ElectionMethod::FirstSigner, message.clone())
        .await;
    let coordinator = net.peers[0].key;
    let backup = 1;
    let mut discovered = Vec::new();
    while discovered.len() < 2 {
        let (i, _, ()) = net
            .wait_for("the announcement", |_, e| {
                matches!(e, NodeEvent::Session(Event::SessionDiscovered { .. })).then_some(())
            })
            .await;
        discovered.push(i);
    }
    // Nonces go out on joining. The coordinator's (sent when it created the session) is
    // already with the others, kept until they join if it overtook the announcement.
    // Peer 1 joins first; then the coordinator and peer 1 wait for peer 2's nonce only.
    join(&net, 1, id).await;
    wait_until_waiting_for(&net, 0, id, Phase::Joining, net.peers[2].key).await;
    // Peer 1 is held back: it will sign last, so the coordinator never sees all partial
    // signatures.
    net.peers[backup].gate.pause();
    // Peer 2 joins: it holds every nonce and signs; the coordinator gets the last nonce, signs
    // and pauses right after (its gate).
    join(&net, 2, id).await;
    // Peer 2 takes the coordinator's partial signature (if it has not left the paused
    // coordinator yet, the coordinator wakes until it has: it cannot finish without peer 1).
    wait_until_not_waiting_for(&net, 2, id, coordinator).await;
    net.peers[0].gate.pause();
    // The backup signs last; it then holds every partial signature (round 2 is over) while the
    // paused coordinator lacks the backup's.
    net.peers[backup].gate.resume();
    let (_, round_two_done, ()) = net
        .wait_for("round 2 done at the backup", |i, e| {
            (i == backup && phase_of(e) == Some(Phase::Aggregation)).then_some(())
        })
        .await;
    if gone == Gone::Killed {
        net.peers[0].gate.kill();
    }
    let killed_at = Instant::now();

    let mut failover_at = None;
    let mut sigs = Vec::new();
    // The survivors must also complete without the dead coordinator's confirmation (their
    // `Completed` may come before the other's signature: both are read in one loop).
    let mut completed = 0;
    let mut duty_holders = Vec::new();
    while sigs.len() < 2 || completed < 2 || duty_holders.is_empty() {
        let (i, at, ev) = net
            .wait_for(
                "the signatures and the survivors' completion",
                |_, e| match e {
                    NodeEvent::Session(Event::Failover { coordinator, .. }) => {
                        Some(Seen::Failover(*coordinator))
                    }
                    NodeEvent::Session(Event::SignatureReady {
                        signature,
                        broadcast_duty,
                        ..
                    }) => Some(Seen::Signature(*signature, *broadcast_duty)),
                    NodeEvent::Session(Event::BroadcastDuty { .. }) => Some(Seen::Duty),
                    NodeEvent::Session(Event::Completed { .. }) => Some(Seen::Completed),
                    _ => None,
                },
            )
            .await;
        assert_ne!(i, 0, "the dead coordinator reports nothing");
        match ev {
            Seen::Failover(next) => {
                assert_eq!(next, net.peers[backup].key, "one failover, to the backup");
                failover_at.get_or_insert(at);
            }
            Seen::Signature(sig, duty) => {
                if duty {
                    duty_holders.push(i);
                }
                sigs.push((i, at, sig));
            }
            // The backup took the signature from the other survivor's notice before its own
            // failover timer fired; the duty reached it a moment later.
            Seen::Duty => duty_holders.push(i),
            Seen::Completed => completed += 1,
        }
    }
    let delivered_at = sigs.iter().map(|s| s.1).max().unwrap();
    let failover_at = failover_at.expect("a failover event");
    let cfg = Config::default();
    eprintln!(
        "{scheme:?} failover on real swarms: coordinator {gone:?} {:?} after round 2 ended; \
         failover {:?} and the signature at every live signer {:?} after that \
         (liveness timeout {} ms, coordinator deadline {} ms)",
        killed_at.duration_since(round_two_done),
        failover_at.saturating_duration_since(killed_at),
        delivered_at.saturating_duration_since(killed_at),
        cfg.liveness_timeout_ms,
        cfg.coordinator_deadline_ms,
    );
    let deadline = Duration::from_millis(cfg.coordinator_deadline_ms) + Duration::from_secs(5);
    assert!(
        delivered_at.duration_since(round_two_done) <= deadline,
        "the backup delivers within the failover deadline (plus margin)"
    );
    assert_eq!(
        duty_holders,
        vec![backup],
        "the backup, and only it, broadcasts"
    );
    let failover = failover_at.saturating_duration_since(killed_at);
    match gone {
        // The kill closed the coordinator's connections: the survivors failed over at once,
        // not after the liveness timeout (without the connection signal it takes at least
        // `liveness_timeout − heartbeat_interval`).
        Gone::Killed => assert!(failover < Duration::from_secs(1), "{failover:?}"),
        // Frozen, its connections open: only the silence tells.
        Gone::Frozen => assert!(
            failover >= Duration::from_millis(cfg.liveness_timeout_ms - cfg.heartbeat_interval_ms),
            "failed over before the liveness timeout: {failover:?}"
        ),
    }
    let sigs: Vec<_> = sigs.into_iter().map(|s| s.2).collect();
    assert_valid(scheme, &net.keys(), tweak, &message, &sigs);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_delivers_when_the_bip327_coordinator_dies_after_round_two() {
    coordinator_dies_after_round_two(Scheme::Bip327, Gone::Killed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survivors_sign_when_the_bip327_coordinator_freezes_after_round_two() {
    coordinator_dies_after_round_two(Scheme::Bip327, Gone::Frozen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_delivers_when_the_lotus_coordinator_dies_after_round_two() {
    coordinator_dies_after_round_two(Scheme::Lotus, Gone::Killed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survivors_sign_when_the_lotus_coordinator_freezes_after_round_two() {
    coordinator_dies_after_round_two(Scheme::Lotus, Gone::Frozen).await;
}
