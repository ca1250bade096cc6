//! Connection exhaustion (issue 13, class 9), with a real relay process and real swarms:
//! many throwaway peers cannot point a relay's circuits at one wallet, nor crowd the relays
//! and co-signers of a wallet's session out of its connections.

mod common;

use std::time::Duration;

use common::relay::{sample, RelayProcess};
use common::{never, start_net, start_net_at, Net, PeerOptions, PATIENCE};
use musig2_crypto::scheme::Scheme;
use musig2_net::connection_gate::ConnectionBudget;
use musig2_net::libp2p::multiaddr::Protocol;
use musig2_net::libp2p::{Multiaddr, PeerId};
use musig2_net::NodeHandle;
use musig2_session::wire::TweakSpec;
use musig2_session::ElectionMethod;

fn circuit_to(relay: &Multiaddr, peer: PeerId) -> Multiaddr {
    relay
        .clone()
        .with(Protocol::P2pCircuit)
        .with(Protocol::P2p(peer))
}

/// Peers that only send, never join sessions: the attacker's throwaway identities.
fn strangers() -> impl Fn(&RelayProcess) -> PeerOptions {
    |relay| PeerOptions {
        auto_join: false,
        ..PeerOptions::through(vec![relay.tcp.clone()])
    }
}

/// Each stranger sends one direct message to `target` (opening a circuit to it); returns
/// which were delivered.
async fn flood_each(strangers: &[NodeHandle], target: &Multiaddr) -> Vec<bool> {
    let mut delivered = Vec::new();
    for s in strangers {
        let sent = s.send_direct(target.clone(), b"hello".to_vec()).await;
        delivered.push(sent.is_ok());
    }
    delivered
}

/// How many of `strangers` delivered a direct message to `target`.
async fn flood(strangers: &Net, target: &Multiaddr) -> usize {
    let handles: Vec<NodeHandle> = strangers.peers.iter().map(|p| p.handle.clone()).collect();
    flood_each(&handles, target)
        .await
        .into_iter()
        .filter(|d| *d)
        .count()
}

/// A 3-of-3 session over `net` created by peer 0 completes with a valid signature.
async fn honest_session_completes(net: &mut Net, message: Vec<u8>) {
    net.create(
        0,
        TweakSpec::None,
        ElectionMethod::Lexicographic,
        message.clone(),
    )
    .await;
    net.assert_signed(&[0, 1, 2], true, Scheme::Bip327, TweakSpec::None, &message)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sources_cannot_open_more_than_the_cap_of_circuits_to_one_wallet() {
    let relay = RelayProcess::start_with(
        "dst-cap",
        &[
            "--max-circuits-per-destination",
            "4",
            "--metrics-addr",
            "127.0.0.1:0",
        ],
    )
    .await;
    let opts = PeerOptions::through(vec![relay.tcp.clone()]);
    // The victim (peer 0 of a net that does not sign) and eight throwaway sources.
    let victim = start_net_at(Scheme::Bip327, 40, 1, &opts, |_| never()).await;
    let attackers = start_net_at(Scheme::Bip327, 50, 8, &strangers()(&relay), |_| never()).await;
    let target = circuit_to(&relay.tcp, victim.peers[0].handle.peer_id());

    let handles: Vec<NodeHandle> = attackers.peers.iter().map(|p| p.handle.clone()).collect();
    let first = flood_each(&handles, &target).await;
    let delivered = first.iter().filter(|d| **d).count();
    assert_eq!(
        delivered, 4,
        "exactly the cap of circuits reaches the victim"
    );
    let metrics = relay.scrape().await;
    let refused = sample(
        &metrics,
        "musig2_relay_circuits_refused_destination_cap_total",
    );
    assert!(
        refused >= Some(4.0),
        "refusals counted: {refused:?}\n{metrics}"
    );

    // The relay keeps serving everyone else: an honest 3-of-3 on the same relay completes.
    let mut honest = start_net(Scheme::Bip327, 3, &opts, |_| never()).await;
    honest_session_completes(&mut honest, vec![0x91; 32]).await;

    // The cap counts open circuits: once two of the admitted sources leave, exactly two of
    // the refused ones get through.
    let (admitted, mut refused): (Vec<_>, Vec<_>) = handles
        .iter()
        .zip(first)
        .partition(|(_, delivered)| *delivered);
    for (a, _) in admitted.iter().take(2) {
        a.shutdown().await;
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut through = 0;
    while through < 2 && tokio::time::Instant::now() < deadline {
        let waiting: Vec<NodeHandle> = refused.iter().map(|(h, _)| (*h).clone()).collect();
        let now = flood_each(&waiting, &target).await;
        through += now.iter().filter(|d| **d).count();
        refused = refused
            .into_iter()
            .zip(now)
            .filter(|(_, d)| !*d)
            .map(|(r, _)| r)
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(through, 2, "the two freed slots are taken, no more");
    let waiting: Vec<NodeHandle> = refused.iter().map(|(h, _)| (*h).clone()).collect();
    assert!(
        flood_each(&waiting, &target).await.iter().all(|d| !*d),
        "the cap is full again"
    );
    drop(attackers);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_crowd_co_signers_out_of_a_wallets_connections() {
    let relay = RelayProcess::start("wallet-budget").await;
    let budget = ConnectionBudget {
        max_strangers: 4,
        ..ConnectionBudget::default()
    };
    let opts = PeerOptions {
        connections: budget,
        ..PeerOptions::through(vec![relay.tcp.clone()])
    };
    let mut net = start_net(Scheme::Bip327, 3, &opts, |_| never()).await;
    let attackers = start_net_at(Scheme::Bip327, 60, 10, &strangers()(&relay), |_| never()).await;
    let victim = &net.peers[0].handle;
    let target = circuit_to(&relay.tcp, victim.peer_id());

    // Every stranger gets in (a newcomer is never refused) ...
    assert_eq!(flood(&attackers, &target).await, 10);
    // ... but the victim keeps at most four stranger connections, closing the oldest.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let stats = loop {
        let stats = victim.connection_stats().await.unwrap();
        if stats.strangers <= budget.max_strangers || tokio::time::Instant::now() > deadline {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(stats.strangers <= budget.max_strangers, "{stats:?}");
    assert!(stats.strangers_evicted >= 6, "{stats:?}");

    // The victim's own session with its two co-signers completes while the strangers
    // keep dialling it.
    let flooding = {
        let attackers = attackers
            .peers
            .iter()
            .map(|p| p.handle.clone())
            .collect::<Vec<_>>();
        let target = target.clone();
        tokio::spawn(async move {
            for _ in 0..3 {
                for a in &attackers {
                    let _ = a.send_direct(target.clone(), b"again".to_vec()).await;
                }
            }
        })
    };
    honest_session_completes(&mut net, vec![0x92; 32]).await;
    flooding.await.unwrap();
    let stats = net.peers[0].handle.connection_stats().await.unwrap();
    assert!(stats.strangers <= budget.max_strangers, "{stats:?}");
    relay.stop().await;
}
