//! Native peers with real libp2p swarms sign through a relay process: the session layer
//! drives, the network layer carries.

mod relay_process;

use std::time::Duration;

use futures::channel::mpsc;
use futures::StreamExt;
use musig2_crypto::scheme::{PublicKey, Scheme, SecretKey, Signature, SigningContext, Tweak};
use musig2_net::identity::keypair_from_signing_key;
use musig2_net::{Node, NodeConfig, NodeEvent, NodeHandle};
use musig2_session::wire::TweakSpec;
use musig2_session::{Config, ElectionMethod, Event, Machine, SessionParams};
use relay_process::RelayProcess;

struct Peer {
    handle: NodeHandle,
    events: mpsc::Receiver<NodeEvent>,
    key: [u8; 33],
}

async fn start_peer(i: u8, scheme: Scheme, relay: &RelayProcess) -> Peer {
    let secret = [i
        .wrapping_mul(17)
        .wrapping_add(1)
        .wrapping_add(scheme as u8 * 100); 32];
    let sk = SecretKey::from_bytes(&secret).unwrap();
    let key = sk.public_key().to_bytes();
    let now = musig2_net::clock::now_ms();
    let machine = Machine::new(Config::default(), scheme, sk, now, [i; 32]);
    let config = NodeConfig {
        relays: vec![relay.tcp.clone()],
        listen: Vec::new(),
    };
    let keypair = keypair_from_signing_key(&secret).unwrap();
    let (node, handle, mut events) = Node::new(keypair, config, Some(machine)).await.unwrap();
    tokio::spawn(node.run());
    // Wait for the relay reservation.
    loop {
        match events.next().await {
            Some(NodeEvent::RelayReserved { .. }) => break,
            Some(_) => continue,
            None => panic!("node stopped"),
        }
    }
    Peer {
        handle,
        events,
        key,
    }
}

/// Runs every peer's event loop: joins discovered sessions, returns each peer's signature
/// and its node handle (a node stops when its last handle is dropped, so every node lives
/// until all peers are done).
async fn drive(peers: Vec<Peer>) -> Vec<(Signature, NodeHandle)> {
    let tasks = peers.into_iter().map(|mut p| {
        tokio::spawn(async move {
            let t0 = std::time::Instant::now();
            while let Some(event) = p.events.next().await {
                if std::env::var("TRACE_EVENTS").is_ok() {
                    eprintln!("[{:?}] {:02x?} {event:?}", t0.elapsed(), &p.key[..3]);
                }
                match event {
                    NodeEvent::Session(Event::SessionDiscovered { session_id, .. }) => {
                        p.handle
                            .with_machine(move |m, now, rng| m.join(now, &session_id, rng))
                            .await
                            .unwrap()
                            .unwrap();
                    }
                    NodeEvent::Session(Event::SignatureReady { signature, .. }) => {
                        return (signature, p.handle);
                    }
                    NodeEvent::Session(Event::Failed { reason, .. }) => {
                        panic!("session failed: {reason}")
                    }
                    _ => {}
                }
            }
            panic!("events ended before a signature")
        })
    });
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

async fn sign_n_of_n(scheme: Scheme, n: u8, tweak: TweakSpec) {
    let relay = RelayProcess::start(&format!("{scheme:?}-{n}")).await;
    let mut peers = Vec::new();
    for i in 0..n {
        peers.push(start_peer(i + 1, scheme, &relay).await);
    }
    let keys: Vec<[u8; 33]> = peers.iter().map(|p| p.key).collect();
    let message = vec![0x5au8; 32];
    let params = SessionParams {
        signers: keys.clone(),
        message: message.clone(),
        tweak,
        election: ElectionMethod::Lexicographic,
        tx_type: "test".into(),
    };
    let creator = peers[0].handle.clone();
    creator
        .with_machine(move |m, now, rng| m.create_session(now, params, rng))
        .await
        .unwrap()
        .unwrap();
    let started = std::time::Instant::now();
    let done = tokio::time::timeout(Duration::from_secs(60), drive(peers))
        .await
        .expect("signed in time");
    eprintln!(
        "{scheme:?} {n}-of-{n}: every peer holds the signature after {:?}",
        started.elapsed()
    );
    let signatures: Vec<Signature> = done.iter().map(|(s, _)| *s).collect();

    let pks: Vec<PublicKey> = keys
        .iter()
        .map(|k| PublicKey::from_bytes(k).unwrap())
        .collect();
    let tweak = match tweak {
        TweakSpec::None => Tweak::None,
        TweakSpec::Taproot { merkle_root } => Tweak::Taproot { merkle_root },
    };
    let ctx = SigningContext::new(scheme, &pks, tweak).unwrap();
    for sig in &signatures {
        assert_eq!(sig, &signatures[0], "every peer holds the same signature");
        assert!(
            ctx.verify(&message, sig),
            "the signature verifies under the aggregate key"
        );
    }
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_three_bip327_through_a_relay_process() {
    sign_n_of_n(Scheme::Bip327, 3, TweakSpec::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_three_lotus_taproot_through_a_relay_process() {
    sign_n_of_n(Scheme::Lotus, 3, TweakSpec::Taproot { merkle_root: None }).await;
}
