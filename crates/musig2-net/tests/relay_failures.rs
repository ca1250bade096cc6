//! Sessions survive their relays: a relay process restarts mid-session (same port and data
//! folder, so the same peer ID and address), and a peer with two relays keeps signing when one
//! of them dies. Every peer pauses right after round 1 (its partial signature sent), the relay
//! goes down while the session is in flight, and the peers resume; the session must complete
//! (every signer confirms the final signature, which needs the network).

mod common;

use std::time::{Duration, Instant};

use common::relay::RelayProcess;
use common::{assert_valid, pause_at, start_net, Net, PeerOptions};
use musig2_crypto::scheme::Scheme;
use musig2_net::NodeEvent;
use musig2_session::wire::TweakSpec;
use musig2_session::{ElectionMethod, Event, Phase};

const N: u8 = 3;

enum Seen {
    Reserved,
    Signature(musig2_crypto::scheme::Signature),
    Completed,
}

async fn start_session(net: &mut Net) -> Vec<u8> {
    let message = vec![0x66u8; 32];
    net.create(
        0,
        TweakSpec::None,
        ElectionMethod::Lexicographic,
        message.clone(),
    )
    .await;
    let mut paused = 0;
    while paused < N {
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
        paused += 1;
    }
    message
}

async fn finish(net: &mut Net, scheme: Scheme, message: &[u8]) {
    for p in &net.peers {
        p.gate.resume();
    }
    let all: Vec<usize> = (0..usize::from(N)).collect();
    let sigs = net.signatures(&all, true).await;
    let sigs: Vec<_> = sigs.into_iter().map(|s| s.2).collect();
    assert_valid(scheme, &net.keys(), TweakSpec::None, message, &sigs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_completes_across_a_relay_restart() {
    let scheme = Scheme::Bip327;
    let relay = RelayProcess::start("restart").await;
    let opts = PeerOptions::through(vec![relay.tcp.clone()]);
    let mut net = start_net(scheme, N, &opts, |_| pause_at(Phase::PartialSigCollection)).await;
    let message = start_session(&mut net).await;
    let down = Instant::now();
    let relay = relay.restart().await;
    eprintln!("relay restarted in {:?}", down.elapsed());
    for p in &net.peers {
        p.gate.resume();
    }
    // Every peer reserves again on the restarted relay, signs and confirms.
    let (mut reserved, mut sigs, mut completed) = (Vec::new(), Vec::new(), Vec::new());
    while reserved.len() < usize::from(N) || completed.len() < usize::from(N) {
        let (i, _, ev) = net
            .wait_for(
                "reservations and the signature after the restart",
                |_, e| match e {
                    NodeEvent::RelayReserved { .. } => Some(Seen::Reserved),
                    NodeEvent::Session(Event::SignatureReady { signature, .. }) => {
                        Some(Seen::Signature(*signature))
                    }
                    NodeEvent::Session(Event::Completed { .. }) => Some(Seen::Completed),
                    _ => None,
                },
            )
            .await;
        match ev {
            Seen::Reserved if !reserved.contains(&i) => {
                reserved.push(i);
                if reserved.len() == usize::from(N) {
                    eprintln!(
                        "every peer reserved again {:?} after the relay went down",
                        down.elapsed()
                    );
                }
            }
            Seen::Reserved => {}
            Seen::Completed => completed.push(i),
            Seen::Signature(sig) => sigs.push(sig),
        }
    }
    eprintln!(
        "session completed {:?} after the relay went down",
        down.elapsed()
    );
    assert_valid(scheme, &net.keys(), TweakSpec::None, &message, &sigs);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_completes_when_one_of_two_relays_dies() {
    let scheme = Scheme::Lotus;
    let first = RelayProcess::start("two-relays-a").await;
    let second = RelayProcess::start("two-relays-b").await;
    let opts = PeerOptions::through(vec![first.tcp.clone(), second.tcp.clone()]);
    let mut net = start_net(scheme, N, &opts, |_| pause_at(Phase::PartialSigCollection)).await;
    let message = start_session(&mut net).await;
    let down = Instant::now();
    first.stop().await;
    // Let the peers see the connections drop before they resume.
    tokio::time::sleep(Duration::from_millis(200)).await;
    finish(&mut net, scheme, &message).await;
    eprintln!(
        "session completed through the second relay {:?} after the first died",
        down.elapsed()
    );
    second.stop().await;
}
