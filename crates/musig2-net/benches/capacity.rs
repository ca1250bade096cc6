//! Relay capacity on one machine, with the relay and the peers in separate processes.
//!
//! The coordinator (this binary without `CAP_ROLE`) starts the release `musig2-relay` with a
//! metrics endpoint, then `CAP_WORKERS` copies of itself as worker processes
//! (`CAP_ROLE=worker`). Each worker runs its share of `CAP_GROUPS` groups of three native
//! peers (real swarms: TCP + Noise + Yamux to the relay, the session protocol over circuit
//! relay v2), every peer holding a reservation on the relay.
//!
//! For each level N of `CAP_LEVELS`, the workers create N 3-of-3 sessions at once, spread
//! round-robin over the groups (so up to ⌈N / groups⌉ sessions share one group's circuits),
//! and time each from `create_session` to the third signer's `SignatureReady`. Sessions not
//! seen finished within `CAP_TIMEOUT_S` are classified by asking each signer's state
//! machine: still running, or finished (its events then arrived late, or never: lost).
//!
//! Printed per level: completion count, p50/p95/p99/max latency, burst wall time, CPU time of
//! the relay and of the workers during the burst, the relay's resident memory (`VmRSS`) and
//! peak (`VmHWM`), and the 1-minute load average when the burst started. At the end the
//! relay's `/metrics` is printed.
//!
//! With `CAP_RELAYS=N` (default 1) it runs N relay processes, each started with `--peer` to
//! the one before (one federation, protocol.md §4.2), and peer `i` uses only relay `i mod N`:
//! the three signers of a group are then on three relays and reach each other through route
//! records (§4.3). Relay CPU and memory are then summed over the relays.
//!
//! Run (release relay and peers):
//! `cargo build --release -p musig2-relay && cargo bench -p musig2-net --bench capacity`
//! Federation: `CAP_RELAYS=10 CAP_GROUPS=100 CAP_LEVELS=10,50,100 cargo bench -p musig2-net --bench capacity`

#[path = "../tests/common/relay.rs"]
#[allow(dead_code)]
mod relay;

mod common;

use std::time::{Duration, Instant};

use common::peer::{start_wallet, Shared};
use common::worker::{burst as run_workers, serve, Group, WorkerProc};
use common::{env_or, load1, Summary};
use musig2_net::libp2p::Multiaddr;
use relay::RelayProcess;

// ---------------------------------------------------------------- worker

async fn worker() {
    let relays: Vec<Multiaddr> = std::env::var("CAP_RELAY")
        .expect("CAP_RELAY")
        .split(',')
        .map(|a| a.parse().expect("relay address"))
        .collect();
    // Peer `i` uses relay `i mod N`: with several relays the three peers of a group sit on
    // three different relays and reach each other through the federation.
    let relay_of = |i: u32| relays[i as usize % relays.len()].clone();
    let first = env_or("CAP_FIRST", 0) as u32;
    let group_count = env_or("CAP_GROUPS", 10).max(1) as u32;
    let shared = Shared::default();
    let mut groups = Vec::new();
    for g in 0..group_count {
        let starts = (0..3).map(|i| {
            let index = first + g * 3 + i;
            start_wallet(index, vec![relay_of(index)], 0, &shared)
        });
        let wallets = futures::future::join_all(starts).await;
        groups.push(Group {
            handles: wallets.iter().map(|w| w.handle.clone()).collect(),
            keys: wallets.iter().map(|w| w.key).collect(),
        });
    }
    serve(&groups, &shared, |_| async { None }).await;
}

// ---------------------------------------------------------------- coordinator

/// One burst over every worker.
async fn burst(workers: &mut [WorkerProc], total: usize, salt: u64) -> Summary {
    let outcomes = run_workers(workers, total, salt).await;
    Summary::of(outcomes.iter().map(|(_, _, o)| o))
}

async fn coordinator() {
    let worker_count = env_or("CAP_WORKERS", 2).max(1);
    let group_count = env_or("CAP_GROUPS", 100).max(worker_count);
    let levels: Vec<usize> = std::env::var("CAP_LEVELS")
        .unwrap_or_else(|_| "50,100,250,500,1000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let relay_count = env_or("CAP_RELAYS", 1).max(1);
    let mut relays: Vec<RelayProcess> = Vec::new();
    for i in 0..relay_count {
        // Each relay is told only about the one before it (Kademlia finds the rest).
        let mut args = vec![
            "--metrics-addr".to_string(),
            "127.0.0.1:0".to_string(),
            "--reservations-per-ip-per-min".to_string(),
            "1000000".to_string(),
        ];
        if let Some(prev) = relays.last() {
            args.extend(["--peer".to_string(), prev.tcp.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        relays.push(RelayProcess::start_with(&format!("capacity-{i}"), &args).await);
    }
    let relay_pids: Vec<u32> = relays
        .iter()
        .map(|r| r.child.id().expect("relay pid"))
        .collect();
    let relay_cpu = || {
        relay_pids
            .iter()
            .map(|&p| common::cpu_of(p))
            .sum::<Duration>()
    };
    let relay_kib = |field: &str| {
        relays
            .iter()
            .map(|r| r.memory_kib(field).unwrap_or(0))
            .sum::<u64>()
    };
    let relay_addrs: Vec<Multiaddr> = relays.iter().map(|r| r.tcp.clone()).collect();
    let t_start = Instant::now();
    let mut workers = Vec::new();
    let mut first = 1;
    for w in 0..worker_count {
        let groups = group_count / worker_count + usize::from(w < group_count % worker_count);
        let relays: Vec<String> = relay_addrs.iter().map(ToString::to_string).collect();
        workers.push(WorkerProc::spawn(
            groups,
            &[
                ("CAP_RELAY", relays.join(",")),
                ("CAP_FIRST", first.to_string()),
                ("CAP_GROUPS", groups.to_string()),
            ],
        ));
        first += groups * 3;
    }
    for w in &mut workers {
        w.expect_ready().await;
    }
    let up = t_start.elapsed();
    // Idle cost of holding the reservations (keep-alives, GossipSub heartbeats).
    let idle = Duration::from_secs(5);
    let (relay_cpu0, workers_cpu0) = (
        relay_cpu(),
        workers.iter().map(WorkerProc::cpu).sum::<Duration>(),
    );
    tokio::time::sleep(idle).await;
    let relay_idle = relay_cpu().saturating_sub(relay_cpu0);
    let workers_idle = workers
        .iter()
        .map(WorkerProc::cpu)
        .sum::<Duration>()
        .saturating_sub(workers_cpu0);
    println!(
        "## Relay capacity: {relay_count} relay(s), {worker_count} worker processes, {group_count} groups of 3 peers ({} reservations; relay figures summed over the relays)\n\npeers up in {:.1} s; idle: relay RSS {} KiB, relay CPU {:.1} % of a core, workers CPU {:.1} %; load {}\n",
        group_count * 3,
        up.as_secs_f64(),
        relay_kib("VmRSS"),
        100.0 * relay_idle.as_secs_f64() / idle.as_secs_f64(),
        100.0 * workers_idle.as_secs_f64() / idle.as_secs_f64(),
        load1(),
    );
    // Warm every group's circuits with one session each.
    let t0 = Instant::now();
    let warm = burst(&mut workers, group_count, 1 << 40).await;
    println!(
        "warm-up ({group_count} sessions, one per group, opens the circuits): {} done in {:.1} s, relay RSS {} KiB\n",
        warm.latencies.len(),
        t0.elapsed().as_secs_f64(),
        relay_kib("VmRSS")
    );
    println!("| concurrent 3-of-3 sessions | done in time | unfinished | done late | done, event lost | failed | p50 ms | p95 ms | p99 ms | max ms | wall s | relay CPU s (% of 1 core) | workers CPU s | relay RSS KiB | relay peak KiB | load1 at start |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut salt = 1u64 << 48;
    for &level in &levels {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let load = load1();
        let relay_cpu0 = relay_cpu();
        let workers_cpu0: Duration = workers.iter().map(WorkerProc::cpu).sum();
        let t0 = Instant::now();
        let b = burst(&mut workers, level, salt).await;
        let wall = t0.elapsed();
        salt += 1 << 32;
        let relay_cpu = relay_cpu().saturating_sub(relay_cpu0);
        let workers_cpu = workers
            .iter()
            .map(WorkerProc::cpu)
            .sum::<Duration>()
            .saturating_sub(workers_cpu0);
        let q = |p| b.q(p);
        println!(
            "| {level} | {} | {} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} ({:.0} %) | {:.2} | {} | {} | {load} |",
            b.latencies.len(),
            b.unfinished,
            b.late,
            b.lost,
            b.failed,
            q(0.5),
            q(0.95),
            q(0.99),
            q(1.0),
            wall.as_secs_f64(),
            relay_cpu.as_secs_f64(),
            100.0 * relay_cpu.as_secs_f64() / wall.as_secs_f64(),
            workers_cpu.as_secs_f64(),
            relay_kib("VmRSS"),
            relay_kib("VmHWM"),
        );
    }
    if std::env::var("CAP_METRICS").map_or(true, |v| v != "0") {
        println!("\n### Relay /metrics after the run\n\n```");
        print!("{}", relays[0].scrape().await);
        println!("```");
    }
    for w in workers {
        w.finish().await; // end of input: the worker exits
    }
    for relay in relays {
        relay.stop().await;
    }
}

fn main() {
    common::worker::main(worker, coordinator);
}
