//! An owner that reads its node's events late loses none of them: with the event queue full
//! the node stops reading the network (backpressure) instead of dropping events, and every
//! direct message is delivered and acknowledged once the owner catches up.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::channel::mpsc::Receiver;
use futures::StreamExt;
use musig2_net::identity::keypair_from_signing_key;
use musig2_net::libp2p::multiaddr::Protocol;
use musig2_net::node::EVENT_QUEUE;
use musig2_net::{Node, NodeConfig, NodeEvent, NodeHandle};

/// Messages the sender has in flight at once (a yamux connection closes when its peer opens
/// too many streams, so the sender is polite).
const IN_FLIGHT: usize = 16;

async fn start(seed: u8) -> (NodeHandle, Receiver<NodeEvent>) {
    let mut secret = [seed; 32];
    secret[0] = 1;
    let keypair = keypair_from_signing_key(&secret).unwrap();
    let config = NodeConfig {
        relays: Vec::new(),
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        ..Default::default()
    };
    let (node, handle, events) = Node::new(keypair, config, None).await.unwrap();
    tokio::spawn(node.run());
    (handle, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_owner_gets_every_event_and_every_sender_its_receipt() {
    let (receiver, mut receiver_events) = start(7).await;
    let address = loop {
        match tokio::time::timeout(Duration::from_secs(60), receiver_events.next()).await {
            Ok(Some(NodeEvent::Listening { address })) => break address,
            Ok(Some(_)) => {}
            other => panic!("no listen address: {other:?}"),
        }
    };
    let target = address.with(Protocol::P2p(receiver.peer_id()));
    // Nobody reads the sender's events at all: it must keep working regardless.
    let (sender, sender_events) = start(9).await;
    drop(sender_events);

    // Three times more messages than the event queue holds, while the receiver's owner
    // reads nothing at first.
    let count = 3 * EVENT_QUEUE;
    let sending = tokio::spawn(async move {
        futures::stream::iter(0..count)
            .map(|k| {
                let sender = sender.clone();
                let target = target.clone();
                async move {
                    sender
                        .send_direct(target, format!("message {k}").into_bytes())
                        .await
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect::<Vec<_>>()
            .await
    });
    // Let the backlog build up (the assertions below do not depend on how long this is).
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut received = BTreeSet::new();
    while received.len() < count {
        match tokio::time::timeout(Duration::from_secs(60), receiver_events.next()).await {
            Ok(Some(NodeEvent::DirectMessage { data, .. })) => {
                assert!(received.insert(data), "each message arrives once");
            }
            Ok(Some(_)) => {}
            other => panic!("{} of {count} messages, then {other:?}", received.len()),
        }
    }
    let expected: BTreeSet<Vec<u8>> = (0..count)
        .map(|k| format!("message {k}").into_bytes())
        .collect();
    assert_eq!(received, expected);
    for result in sending.await.unwrap() {
        result.expect("every message acknowledged with its receipt");
    }
}
