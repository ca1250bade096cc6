//! Native peers with real libp2p swarms sign through a relay process: the session layer
//! drives, the network layer carries. 3-of-3 and 10-of-10, both schemes.

mod common;

use std::time::Instant;

use common::relay::RelayProcess;
use common::{assert_valid, never, start_net, PeerOptions};
use musig2_crypto::scheme::Scheme;
use musig2_session::wire::TweakSpec;
use musig2_session::ElectionMethod;

async fn sign_n_of_n(scheme: Scheme, n: u8, tweak: TweakSpec) {
    let relay = RelayProcess::start(&format!("{scheme:?}-{n}")).await;
    let opts = PeerOptions::through(vec![relay.tcp.clone()]);
    let mut net = start_net(scheme, n, &opts, |_| never()).await;
    let message = vec![0x5au8; 32];
    let started = Instant::now();
    net.create(0, tweak, ElectionMethod::Lexicographic, message.clone())
        .await;
    let all: Vec<usize> = (0..usize::from(n)).collect();
    let sigs = net.signatures(&all, false).await;
    eprintln!(
        "{scheme:?} {n}-of-{n}: every peer holds the signature after {:?}",
        started.elapsed()
    );
    let sigs: Vec<_> = sigs.into_iter().map(|(_, _, s)| s).collect();
    assert_valid(scheme, &net.keys(), tweak, &message, &sigs);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_of_ten_bip327_through_a_relay_process() {
    sign_n_of_n(Scheme::Bip327, 10, TweakSpec::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_of_ten_lotus_taproot_through_a_relay_process() {
    sign_n_of_n(Scheme::Lotus, 10, TweakSpec::Taproot { merkle_root: None }).await;
}
