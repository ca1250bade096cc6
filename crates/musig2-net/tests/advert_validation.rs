//! Signer advertisements on GossipSub are validated by the receiving peer's session machine
//! before anything is forwarded: a forged one, or a valid one from a flooding peer, is
//! rejected by the first peer that receives it and never reaches a third peer, while a valid
//! one travels on through the relay (which validates it too) to that third peer.
//!
//! Topology: two attackers (raw swarms) connect directly to peer B; B and C are connected
//! only through the relay, which joins the signer topic (`--topic-types test`).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::relay::RelayProcess;
use common::{never, secret_of, start_net, PeerOptions};
use futures::channel::mpsc;
use futures::StreamExt;
use musig2_crypto::scheme::{Scheme, SecretKey};
use musig2_net::behaviour::PeerBehaviourEvent;
use musig2_net::identity::keypair_from_signing_key;
use musig2_net::libp2p::swarm::SwarmEvent;
use musig2_net::libp2p::{gossipsub, Multiaddr, PeerId};
use musig2_net::NodeEvent;
use musig2_session::wire::signers_topic;
use musig2_session::{Config, Event, Machine};

const TX_TYPE: &str = "test";

/// A peer outside the driver that publishes whatever bytes the test gives it.
struct Attacker {
    peer: PeerId,
    key: [u8; 33],
    machine: Machine,
    publish: mpsc::UnboundedSender<Vec<u8>>,
}

impl Attacker {
    /// Connects to `target` and waits until it knows `target` joined the signer topic.
    async fn connect(seed: u8, target: Multiaddr) -> Self {
        let secret = secret_of(seed, Scheme::Bip327);
        let sk = SecretKey::from_bytes(&secret).unwrap();
        let key = sk.public_key().to_bytes();
        let keypair = keypair_from_signing_key(&secret).unwrap();
        let peer = keypair.public().to_peer_id();
        let machine = Machine::new(
            Config::default(),
            Scheme::Bip327,
            sk,
            musig2_net::clock::now_ms(),
            [seed; 32],
        );
        let mut swarm = musig2_net::transport::build_peer_swarm(keypair)
            .await
            .unwrap();
        let target_peer = musig2_net::node::peer_id_of(&target).unwrap();
        swarm.dial(target).unwrap();
        let topic = gossipsub::IdentTopic::new(signers_topic(TX_TYPE));
        tokio::time::timeout(common::PATIENCE, async {
            loop {
                if let SwarmEvent::Behaviour(PeerBehaviourEvent::Gossipsub(
                    gossipsub::Event::Subscribed { peer_id, topic: t },
                )) = swarm.select_next_some().await
                {
                    if peer_id == target_peer && t == topic.hash() {
                        return;
                    }
                }
            }
        })
        .await
        .expect("the target's subscription in time");
        let (publish, mut requests) = mpsc::unbounded::<Vec<u8>>();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = swarm.select_next_some() => {}
                    bytes = requests.next() => match bytes {
                        Some(bytes) => {
                            swarm.behaviour_mut().gossipsub.publish(topic.clone(), bytes).unwrap();
                        }
                        None => break,
                    },
                }
            }
        });
        Self {
            peer,
            key,
            machine,
            publish,
        }
    }

    /// A valid, signed advertisement of this attacker's key.
    fn advert(&mut self) -> Vec<u8> {
        let now = musig2_net::clock::now_ms();
        self.machine
            .advertise(
                now,
                vec![TX_TYPE.into()],
                self.peer.to_bytes(),
                None,
                600_000,
            )
            .unwrap();
        self.machine.poll_transmit().unwrap().bytes
    }
}

#[derive(Debug, PartialEq, Eq, Hash, Clone)]
enum Seen {
    Discovered(usize, [u8; 33]),
    Rejected(usize, PeerId, String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_adverts_are_rejected_and_not_forwarded_valid_ones_are() {
    let relay = RelayProcess::start_with("adverts", &["--topic-types", TX_TYPE]).await;
    let mut opts = PeerOptions::through(vec![relay.tcp.clone()]);
    opts.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    opts.auto_join = false;
    let mut net = start_net(Scheme::Bip327, 2, &opts, |_| never()).await;
    for p in &net.peers {
        p.handle.subscribe(signers_topic(TX_TYPE)).await.unwrap();
    }
    let (b, c) = (0usize, 1usize);
    // Let the relay graft B and C into its mesh of the topic.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut honest = Attacker::connect(40, net.peers[b].listening[0].clone()).await;
    let mut forger = Attacker::connect(41, net.peers[b].listening[0].clone()).await;

    // 1. A forged advertisement (its signature broken) from a fresh peer.
    let mut forged = forger.advert();
    *forged.last_mut().unwrap() ^= 1;
    forger.publish.unbounded_send(forged).unwrap();
    // 2. A valid advertisement.
    let valid = honest.advert();
    honest.publish.unbounded_send(valid).unwrap();
    // 3. A second, validly signed advertisement from the same peer right away: a flood.
    let flood = honest.advert();
    honest.publish.unbounded_send(flood).unwrap();

    let mut seen = HashSet::new();
    let pick = |i: usize, e: &NodeEvent| match e {
        NodeEvent::Session(Event::SignerDiscovered { key, .. }) => Some(Seen::Discovered(i, *key)),
        NodeEvent::SessionRejected { from, error } => {
            Some(Seen::Rejected(i, *from, error.code().to_string()))
        }
        _ => None,
    };
    // B rejects both invalid ones and accepts the valid one; C gets the valid one.
    let done = |seen: &HashSet<Seen>| {
        seen.contains(&Seen::Discovered(b, honest.key))
            && seen.contains(&Seen::Discovered(c, honest.key))
            && seen.iter().any(|s| matches!(s, Seen::Rejected(i, p, r) if *i == b && *p == forger.peer && r == "invalidSignature"))
            && seen.iter().any(|s| matches!(s, Seen::Rejected(i, p, r) if *i == b && *p == honest.peer && r == "rateLimited"))
    };
    while !done(&seen) {
        let (_, _, s) = net.wait_for("the verdicts", pick).await;
        eprintln!("{s:?}");
        seen.insert(s);
    }
    // Nothing else arrives at C: give any wrongly forwarded message time to show up.
    let quiet = tokio::time::timeout(Duration::from_secs(3), net.wait_for("anything", pick)).await;
    if let Ok((_, _, s)) = quiet {
        panic!("unexpected after the verdicts: {s:?}");
    }
    assert!(!seen.contains(&Seen::Discovered(c, forger.key)));
    assert!(!seen
        .iter()
        .any(|s| matches!(s, Seen::Rejected(i, ..) if *i == c)));
    relay.stop().await;
}
