//! The session stream protocol between two real swarms on loopback TCP: frames arrive whole
//! and in order, a finished sender may vanish without losing any, and frames for a peer that
//! cannot be reached are reported lost.

use std::time::Duration;

use futures::StreamExt;
use musig2_net::libp2p::swarm::SwarmEvent;
use musig2_net::libp2p::{noise, tcp, yamux, Multiaddr, PeerId, Swarm, SwarmBuilder};
use musig2_net::protocol::SESSION_PROTOCOL;
use musig2_net::session_stream::{Behaviour, Config, Event};

const MAX_FRAME: usize = 65_536;

fn swarm() -> Swarm<Behaviour> {
    SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| Behaviour::new(Config::new(SESSION_PROTOCOL, MAX_FRAME)))
        .unwrap()
        .with_swarm_config(musig2_net::transport::swarm_config)
        .build()
}

async fn listening(swarm: &mut Swarm<Behaviour>) -> Multiaddr {
    swarm
        .listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap())
        .unwrap();
    loop {
        if let SwarmEvent::NewListenAddr { address, .. } = swarm.select_next_some().await {
            return address;
        }
    }
}

/// Frame `k`: its index, then filler, 1 to 3,000 bytes long.
fn frame(k: u32) -> Vec<u8> {
    let mut f = k.to_be_bytes().to_vec();
    f.resize(4 + (k as usize * 37) % 3000, k as u8);
    f
}

#[tokio::test]
async fn a_finished_sender_may_vanish_without_losing_a_frame() {
    const COUNT: u32 = 300;
    let mut receiver = swarm();
    let address = listening(&mut receiver).await;
    let receiver_id = *receiver.local_peer_id();

    let sender_done = tokio::spawn(async move {
        let mut sender = swarm();
        for k in 0..COUNT {
            sender
                .behaviour_mut()
                .send(receiver_id, frame(k), vec![address.clone()]);
        }
        sender.behaviour_mut().finish();
        tokio::time::timeout(Duration::from_secs(20), async {
            while !sender.behaviour().finished() {
                sender.select_next_some().await;
            }
        })
        .await
        .expect("the receiver confirms the close within 20 s");
        assert_eq!(sender.behaviour().unflushed(), 0);
        // Gone at once, without closing its connection: only what the receiver already
        // read can count.
        drop(sender);
        std::time::Instant::now()
    });

    // A receiver busy elsewhere: the sender has flushed everything and, unless it waits for
    // the receiver to read it, is long gone when the receiver gets to its connection.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let receiver_started = std::time::Instant::now();
    let mut received = Vec::new();
    let collect = async {
        while received.len() < COUNT as usize {
            if let SwarmEvent::Behaviour(Event::Received { bytes, .. }) =
                receiver.select_next_some().await
            {
                received.push(bytes);
            }
        }
    };
    let in_time = tokio::time::timeout(Duration::from_secs(20), collect).await;
    assert!(
        in_time.is_ok(),
        "only {} of {COUNT} frames arrived",
        received.len()
    );
    // The receiver keeps running (it answers the sender's close) until the sender is gone.
    let mut sender_done = std::pin::pin!(sender_done);
    let sender_finished = loop {
        tokio::select! {
            result = &mut sender_done => break result.expect("sender task"),
            event = receiver.select_next_some() => {
                if let SwarmEvent::Behaviour(Event::Received { .. }) = event {
                    panic!("a frame arrived after the last one");
                }
            }
        }
    };
    assert!(
        sender_finished > receiver_started,
        "the sender's finish waited for the receiver to read"
    );
    for (k, bytes) in received.iter().enumerate() {
        assert_eq!(
            *bytes,
            frame(k as u32),
            "frame {k} arrived whole and in order"
        );
    }
}

#[tokio::test]
async fn frames_for_an_unreachable_peer_are_reported_lost() {
    let mut sender = swarm();
    let nobody = PeerId::random();
    // Nothing listens on port 1 of loopback.
    let address: Multiaddr = "/ip4/127.0.0.1/tcp/1".parse().unwrap();
    sender
        .behaviour_mut()
        .send(nobody, b"one".to_vec(), vec![address.clone()]);
    sender
        .behaviour_mut()
        .send(nobody, b"two".to_vec(), vec![address]);
    assert_eq!(sender.behaviour().unflushed(), 2);
    let lost = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let SwarmEvent::Behaviour(Event::Lost { peer, frames }) =
                sender.select_next_some().await
            {
                return (peer, frames);
            }
        }
    })
    .await
    .expect("the failed dial is reported");
    assert_eq!(lost, (nobody, 2));
    assert_eq!(sender.behaviour().unflushed(), 0);
}
