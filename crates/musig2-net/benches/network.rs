//! Network benchmarks on loopback with real swarms and a relay process:
//!
//! 1. create → final signature at every signer, 3 and 10 native peers (p50/p95);
//! 2. advertisement delivery latency, publisher → relay → subscriber (p50/p95);
//! 3. relay capacity: bursts of concurrent 3-of-3 sessions, latency p50/p99 per burst size,
//!    the relay's CPU time and resident memory.
//!
//! Prints a Markdown table. Knobs (environment): `BENCH_SESSIONS` (default 50),
//! `BENCH_ADVERTS` (default 30), `BENCH_LEVELS` (default `40,120`; the `capacity` bench measures
//! capacity with the peers in separate processes),
//! `BENCH_GROUPS` (default 20 groups of 3 peers for the capacity runs), `BENCH_RELAYS` (default
//! 1: with N > 1 the advertisements cross a chain of N peered relays to a watcher on each).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::relay::RelayProcess;
use common::{never, start_net_at, start_peer, Net, PeerOptions};
use futures::StreamExt;
use musig2_crypto::scheme::Scheme;
use musig2_net::NodeEvent;
use musig2_session::wire::{signers_topic, TweakSpec};
use musig2_session::{Config, ElectionMethod, Event, SessionParams};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `q`-quantile (nearest rank) of sorted samples, in ms.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

fn summary(mut samples: Vec<Duration>) -> (f64, f64, f64, usize) {
    samples.sort();
    (
        quantile(&samples, 0.5),
        quantile(&samples, 0.95),
        quantile(&samples, 0.99),
        samples.len(),
    )
}

fn params(net: &Net, salt: u64) -> SessionParams {
    let mut message = vec![0x42u8; 32];
    message[..8].copy_from_slice(&salt.to_le_bytes());
    SessionParams {
        signers: net.keys(),
        message,
        tweak: TweakSpec::None,
        election: ElectionMethod::Lexicographic,
        tx_type: "bench".into(),
    }
}

/// Sequential sessions of `n` peers: create → signature at every peer.
async fn sessions(n: u8, count: usize) -> (Vec<Duration>, Duration) {
    let relay = RelayProcess::start(&format!("bench-{n}")).await;
    let mut net = start_net_at(
        Scheme::Bip327,
        1,
        n,
        &PeerOptions::through(vec![relay.tcp.clone()]),
        |_| never(),
    )
    .await;
    let all: Vec<usize> = (0..usize::from(n)).collect();
    let mut samples = Vec::new();
    let mut first = Duration::ZERO;
    for k in 0..=count {
        let p = params(&net, k as u64);
        let t0 = Instant::now();
        net.peers[0]
            .handle
            .with_machine(move |m, now, rng| m.create_session(now, p, rng))
            .await
            .unwrap()
            .unwrap();
        net.signatures(&all, false).await;
        if k == 0 {
            first = t0.elapsed(); // includes dialing every circuit
        } else {
            samples.push(t0.elapsed());
        }
    }
    relay.stop().await;
    (samples, first)
}

/// Advertisement latency: a fresh publisher each time (one advert per peer per minute), on
/// relay 0 of a chain of `relays` peered relays (each started with `--peer` to the one
/// before), and one watcher on each other relay (on relay 0 when there is one relay). One
/// sample per advertisement: until every watcher validated it.
async fn adverts(count: usize, relays: usize) -> Vec<Duration> {
    let mut chain: Vec<RelayProcess> = Vec::new();
    for i in 0..relays.max(1) {
        let mut args = vec!["--topic-types".to_string(), "bench".to_string()];
        if let Some(prev) = chain.last() {
            args.extend(["--peer".to_string(), prev.tcp.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        chain.push(RelayProcess::start_with(&format!("bench-adverts-{i}"), &args).await);
    }
    let watched: Vec<&RelayProcess> = if chain.len() == 1 {
        chain.iter().collect()
    } else {
        chain.iter().skip(1).collect()
    };
    let mut watchers = Vec::new();
    for (i, relay) in watched.iter().enumerate() {
        let opts = PeerOptions::through(vec![relay.tcp.clone()]);
        let w = start_net_at(Scheme::Bip327, 1 + i as u8, 1, &opts, |_| never()).await;
        w.peers[0]
            .handle
            .subscribe(signers_topic("bench"))
            .await
            .unwrap();
        watchers.push(w);
    }
    // Let the subscriptions reach every relay's mesh.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let opts = PeerOptions::through(vec![chain[0].tcp.clone()]);
    let mut samples = Vec::new();
    for k in 0..count {
        let (publisher, _events) = start_peer(100 + k as u8, Scheme::Bip327, &opts, never()).await;
        // Let the relay's subscription reach the publisher.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let peer = publisher.handle.peer_id().to_bytes();
        let t0 = Instant::now();
        publisher
            .handle
            .with_machine(move |m, now, _| {
                m.advertise(now, vec!["bench".into()], peer, None, 600_000)
            })
            .await
            .unwrap()
            .unwrap();
        let key = publisher.key;
        let mut last = t0;
        for w in &mut watchers {
            let (_, at, ()) = w
                .wait_for("the advert", |_, e| match e {
                    NodeEvent::Session(Event::SignerDiscovered { key: k, .. }) if *k == key => {
                        Some(())
                    }
                    _ => None,
                })
                .await;
            last = last.max(at);
        }
        samples.push(last.duration_since(t0));
    }
    for relay in chain {
        relay.stop().await;
    }
    samples
}

/// One burst of `total` concurrent 3-of-3 sessions spread over groups of three peers.
async fn burst(groups: &mut [Net], total: usize, salt: &mut u64) -> (Vec<Duration>, usize) {
    let per_group = total.div_ceil(groups.len());
    let mut started: Vec<HashMap<[u8; 32], (Instant, u8)>> = Vec::new();
    for net in groups.iter() {
        let mut ids = HashMap::new();
        for _ in 0..per_group {
            *salt += 1;
            let p = params(net, *salt);
            let t0 = Instant::now();
            let id = net.peers[0]
                .handle
                .with_machine(move |m, now, rng| m.create_session(now, p, rng))
                .await
                .unwrap()
                .unwrap();
            ids.insert(id, (t0, 0u8));
        }
        started.push(ids);
    }
    let mut samples = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut lost = 0;
    for (net, ids) in groups.iter_mut().zip(started.iter_mut()) {
        let mut open = ids.len();
        while open > 0 {
            match tokio::time::timeout_at(deadline, net.events.next()).await {
                Ok(Some((_, at, NodeEvent::Session(Event::SignatureReady { session_id, .. })))) => {
                    if let Some((t0, seen)) = ids.get_mut(&session_id) {
                        *seen += 1;
                        if *seen == 3 {
                            samples.push(at.duration_since(*t0));
                            open -= 1;
                        }
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    lost += open;
                    break;
                }
            }
        }
    }
    (samples, lost)
}

async fn capacity(levels: &[usize], group_count: u8) {
    let relay = RelayProcess::start("bench-capacity").await;
    let mut opts = PeerOptions::through(vec![relay.tcp.clone()]);
    opts.config = Config {
        max_sessions: 1024,
        max_invitations: 1024,
        max_invitations_per_peer: 1024,
        max_pending_transmits: 1 << 16,
        max_pending_events: 1 << 16,
        ..Config::default()
    };
    let mut groups = Vec::new();
    for g in 0..group_count {
        groups.push(start_net_at(Scheme::Bip327, 1 + g * 3, 3, &opts, |_| never()).await);
    }
    let idle_rss = relay.memory_kib("VmRSS").unwrap_or(0);
    println!(
        "\n### Relay capacity ({group_count} groups of 3 peers, {} reservations; relay RSS idle {} KiB)\n",
        usize::from(group_count) * 3,
        idle_rss
    );
    println!("| concurrent 3-of-3 sessions | p50 ms | p99 ms | lost | burst wall s | relay CPU s | relay RSS KiB | relay peak RSS KiB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut salt = 1_000_000;
    // Warm every circuit.
    let warm = groups.len();
    let _ = burst(&mut groups, warm, &mut salt).await;
    for &level in levels {
        let cpu0 = relay.cpu_time().unwrap_or_default();
        let t0 = Instant::now();
        let (samples, lost) = burst(&mut groups, level, &mut salt).await;
        let wall = t0.elapsed();
        let cpu = relay.cpu_time().unwrap_or_default().saturating_sub(cpu0);
        let n = samples.len();
        let (p50, _, p99, _) = summary(samples);
        println!(
            "| {n} | {p50:.0} | {p99:.0} | {lost} | {:.2} | {:.2} | {} | {} |",
            wall.as_secs_f64(),
            cpu.as_secs_f64(),
            relay.memory_kib("VmRSS").unwrap_or(0),
            relay.memory_kib("VmHWM").unwrap_or(0),
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    drop(groups);
    relay.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let count = env_or("BENCH_SESSIONS", 50);
    println!("## Network benchmarks\n");
    println!("| measurement | samples | p50 ms | p95 ms | p99 ms | first (cold) ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for n in [3u8, 10] {
        let (samples, first) = sessions(n, if n == 3 { count } else { count / 2 }).await;
        let (p50, p95, p99, len) = summary(samples);
        println!(
            "| create → signature, {n}-of-{n} | {len} | {p50:.1} | {p95:.1} | {p99:.1} | {:.1} |",
            first.as_secs_f64() * 1e3
        );
    }
    let relays = env_or("BENCH_RELAYS", 1).max(1);
    let (p50, p95, p99, len) = summary(adverts(env_or("BENCH_ADVERTS", 30), relays).await);
    if relays == 1 {
        println!("| advert delivery (publisher → relay → subscriber) | {len} | {p50:.1} | {p95:.1} | {p99:.1} | |");
    } else {
        println!("| advert delivery to a watcher on each of {} other relays (chain of {relays}; until the last) | {len} | {p50:.1} | {p95:.1} | {p99:.1} | |", relays - 1);
    }
    let levels: Vec<usize> = std::env::var("BENCH_LEVELS")
        .unwrap_or_else(|_| "40,120".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let groups = u8::try_from(env_or("BENCH_GROUPS", 20).clamp(1, 80)).unwrap_or(20);
    capacity(&levels, groups).await;
}
