//! One advertisement for several transaction types reaches every type's topic (GossipSub
//! once dropped every publication after the first as a duplicate of the same bytes), and an
//! honest session runs alongside. Peers 1 and 2 each subscribe to one type only and meet
//! peer 0 only through the relay, which joins both topics.

mod common;

use std::time::Duration;

use common::relay::RelayProcess;
use common::{start_net, PeerOptions};
use musig2_crypto::scheme::Scheme;
use musig2_net::NodeEvent;
use musig2_session::wire::signers_topic;
use musig2_session::Event;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advert_for_two_types_reaches_both_topics() {
    let relay = RelayProcess::start_with("topics", &["--topic-types", "ta,tb"]).await;
    let opts = PeerOptions::through(vec![relay.tcp.clone()]);
    let mut net = start_net(Scheme::Bip327, 3, &opts, |_| common::never()).await;
    net.peers[1]
        .handle
        .subscribe(signers_topic("ta"))
        .await
        .unwrap();
    net.peers[2]
        .handle
        .subscribe(signers_topic("tb"))
        .await
        .unwrap();
    // Let the relay graft the peers into its topic meshes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peer0 = net.peers[0].handle.peer_id().to_bytes();
    net.peers[0]
        .handle
        .with_machine(move |m, now, _| {
            m.advertise(now, vec!["ta".into(), "tb".into()], peer0, None, 600_000)
        })
        .await
        .unwrap()
        .unwrap();
    let key0 = net.peers[0].key;
    let mut found = [false; 3];
    while !(found[1] && found[2]) {
        let (i, _, ()) = net
            .wait_for("the advertisement on both topics", |_, e| match e {
                NodeEvent::Session(Event::SignerDiscovered { key, tx_types, .. })
                    if *key == key0 && tx_types.len() == 2 =>
                {
                    Some(())
                }
                _ => None,
            })
            .await;
        found[i] = true;
    }
    relay.stop().await;
}
