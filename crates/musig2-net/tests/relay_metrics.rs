//! The relay's Prometheus endpoint counts what a signing session did through it.

mod common;

use common::relay::{sample, RelayProcess};
use common::{never, start_net, PeerOptions};
use musig2_crypto::scheme::Scheme;
use musig2_session::wire::TweakSpec;
use musig2_session::ElectionMethod;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_reservations_circuits_and_peers_of_a_session() {
    let relay = RelayProcess::start_with("metrics", &["--metrics-addr", "127.0.0.1:0"]).await;
    let before = relay.scrape().await;
    assert_eq!(
        sample(&before, "musig2_relay_reservations_total"),
        Some(0.0)
    );
    assert_eq!(sample(&before, "musig2_relay_circuits_total"), Some(0.0));

    let opts = PeerOptions::through(vec![relay.tcp.clone()]);
    let mut net = start_net(Scheme::Bip327, 3, &opts, |_| never()).await;
    let message = vec![0x55u8; 32];
    net.create(
        0,
        TweakSpec::None,
        ElectionMethod::Lexicographic,
        message.clone(),
    )
    .await;
    net.assert_signed(&[0, 1, 2], false, Scheme::Bip327, TweakSpec::None, &message)
        .await;

    let after = relay.scrape().await;
    if std::env::var("PRINT_METRICS").is_ok() {
        eprintln!("{after}");
    }
    let value = |name| sample(&after, name).unwrap_or_else(|| panic!("{name} missing:\n{after}"));
    assert!(value("musig2_relay_reservations_total") >= 3.0);
    // Each pair of signers talks over at least one circuit.
    assert!(value("musig2_relay_circuits_total") >= 3.0);
    assert!(value("musig2_relay_connected_peers") >= 3.0);
    // libp2p's own metrics are there too.
    assert!(after.contains("libp2p_relay_events_total"), "{after}");
    assert!(after.contains("libp2p_swarm_connections_established_total"));
    assert!(after.contains("libp2p_kad_"));
    relay.stop().await;
}
