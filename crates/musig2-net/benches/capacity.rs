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

use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use musig2_crypto::scheme::{Scheme, SecretKey};
use musig2_net::identity::keypair_from_signing_key;
use musig2_net::libp2p::Multiaddr;
use musig2_net::{Node, NodeConfig, NodeEvent, NodeHandle};
use musig2_session::wire::TweakSpec;
use musig2_session::{Config, ElectionMethod, Event, Machine, Phase, SessionParams};
use relay::RelayProcess;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time (user + system) of process `pid` so far, from `/proc/<pid>/stat`.
fn cpu_of(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// The 1-minute load average.
fn load1() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

/// The `q`-quantile (nearest rank) of sorted samples, in ms.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

// ---------------------------------------------------------------- worker

/// What a worker knows about one session it created.
#[derive(Default)]
struct Track {
    created: Option<Instant>,
    signatures: u8,
    finished: Option<Instant>,
    failed: bool,
}

type Tracker = Arc<Mutex<HashMap<[u8; 32], Track>>>;

struct Group {
    handles: Vec<NodeHandle>,
    keys: Vec<[u8; 33]>,
}

fn session_config() -> Config {
    Config {
        max_sessions: 1 << 14,
        max_invitations: 1 << 14,
        max_invitations_per_peer: 1 << 14,
        max_pending_transmits: 1 << 18,
        max_pending_events: 1 << 18,
        ..Config::default()
    }
}

/// Starts peer `index` on `relay`, spawns its driver and its event reader, and waits for
/// its reservation.
async fn start_peer(index: u32, relay: &Multiaddr, tracker: &Tracker) -> (NodeHandle, [u8; 33]) {
    let secret: [u8; 32] = Sha256::new()
        .chain_update(b"musig2-capacity-bench")
        .chain_update(index.to_le_bytes())
        .finalize()
        .into();
    let sk = SecretKey::from_bytes(&secret).expect("a valid key");
    let key = sk.public_key().to_bytes();
    let machine = Machine::new(
        session_config(),
        Scheme::Bip327,
        sk,
        musig2_net::clock::now_ms(),
        secret,
    );
    let config = NodeConfig {
        relays: vec![relay.clone()],
        listen: Vec::new(),
        ..Default::default()
    };
    let keypair = keypair_from_signing_key(&secret).expect("a valid key");
    let (node, handle, mut events) = Node::new(keypair, config, Some(machine))
        .await
        .expect("node");
    tokio::spawn(node.run());
    loop {
        match tokio::time::timeout(Duration::from_secs(120), events.next()).await {
            Ok(Some(NodeEvent::RelayReserved { .. })) => break,
            Ok(Some(_)) => {}
            Ok(None) => panic!("peer {index} stopped"),
            Err(_) => panic!("peer {index}: no reservation in 120 s"),
        }
    }
    let tracker = tracker.clone();
    let joiner = handle.clone();
    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                NodeEvent::Session(Event::SessionDiscovered { session_id, .. }) => {
                    let h = joiner.clone();
                    // Join without blocking the reader, so events keep being consumed.
                    tokio::spawn(async move {
                        let _ = h
                            .with_machine(move |m, now, rng| m.join(now, &session_id, rng))
                            .await;
                    });
                }
                NodeEvent::Session(Event::SignatureReady { session_id, .. }) => {
                    let mut t = tracker.lock().unwrap();
                    let track = t.entry(session_id).or_default();
                    track.signatures += 1;
                    if track.signatures == 3 {
                        track.finished = Some(Instant::now());
                    }
                }
                NodeEvent::Session(Event::Failed { session_id, .. }) => {
                    tracker
                        .lock()
                        .unwrap()
                        .entry(session_id)
                        .or_default()
                        .failed = true;
                }
                _ => {}
            }
        }
    });
    (handle, key)
}

/// Creates `count` sessions at once over `groups` and reports
/// `result <unfinished> <late> <lost> <failed> <latency µs,…>`: a session done at every
/// signer after the deadline is *late* if its events arrived within a 5 s grace period and
/// *lost* otherwise.
async fn worker_burst(groups: &[Group], tracker: &Tracker, count: usize, salt: u64) -> String {
    let creations = (0..count).map(|k| {
        let group = &groups[k % groups.len()];
        let creator = group.handles[(k / groups.len()) % 3].clone();
        let mut message = vec![0x42u8; 32];
        message[..8].copy_from_slice(&(salt + k as u64).to_le_bytes());
        let params = SessionParams {
            signers: group.keys.clone(),
            message,
            tweak: TweakSpec::None,
            election: ElectionMethod::Lexicographic,
            tx_type: "bench".into(),
        };
        let tracker = tracker.clone();
        async move {
            let t0 = Instant::now();
            let id = creator
                .with_machine(move |m, now, rng| m.create_session(now, params, rng))
                .await
                .expect("node running")
                .expect("session created");
            tracker.lock().unwrap().entry(id).or_default().created = Some(t0);
            (id, k % groups.len())
        }
    });
    let ids: Vec<([u8; 32], usize)> = futures::future::join_all(creations).await;
    let deadline = Instant::now() + Duration::from_secs(env_or("CAP_TIMEOUT_S", 30) as u64);
    loop {
        let open = {
            let t = tracker.lock().unwrap();
            ids.iter()
                .filter(|(id, _)| {
                    t.get(id)
                        .is_none_or(|tr| tr.finished.is_none() && !tr.failed)
                })
                .count()
        };
        if open == 0 || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut latencies = Vec::new();
    let mut unfinished = 0;
    let mut failed = 0;
    let mut pending = Vec::new();
    {
        let t = tracker.lock().unwrap();
        for (id, g) in &ids {
            match t.get(id) {
                Some(Track {
                    created: Some(c),
                    finished: Some(f),
                    ..
                }) => latencies.push(f.duration_since(*c).as_micros().to_string()),
                Some(tr) if tr.failed => failed += 1,
                _ => pending.push((*id, *g)),
            }
        }
    }
    // Finished at every signer although its events did not arrive in time?
    let checks = pending.iter().map(|(id, g)| {
        let id = *id;
        let handles = groups[*g].handles.clone();
        async move {
            for h in handles {
                let phase = h
                    .with_machine(move |m, _, _| m.session(&id).map(|i| i.phase))
                    .await
                    .ok()
                    .flatten();
                if !matches!(phase, Some(Phase::BroadcastConfirmation | Phase::Completed)) {
                    return None;
                }
            }
            Some(id)
        }
    });
    let done: Vec<[u8; 32]> = futures::future::join_all(checks)
        .await
        .into_iter()
        .flatten()
        .collect();
    unfinished += pending.len() - done.len();
    // Give late events a grace period: an event still missing after it was lost.
    if !done.is_empty() {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let mut late = 0;
    let mut lost = 0;
    {
        let t = tracker.lock().unwrap();
        for id in &done {
            if t.get(id).is_some_and(|tr| tr.finished.is_some()) {
                late += 1;
            } else {
                lost += 1;
            }
        }
    }
    format!(
        "result {unfinished} {late} {lost} {failed} {}",
        latencies.join(",")
    )
}

async fn worker() {
    let relays: Vec<Multiaddr> = std::env::var("CAP_RELAY")
        .expect("CAP_RELAY")
        .split(',')
        .map(|a| a.parse().expect("relay address"))
        .collect();
    // Peer `i` uses relay `i mod N`: with several relays the three peers of a group sit on
    // three different relays and reach each other through the federation.
    let relay_of = |i: u32| &relays[i as usize % relays.len()];
    let first = env_or("CAP_FIRST", 0) as u32;
    let group_count = env_or("CAP_GROUPS", 10).max(1) as u32;
    let tracker: Tracker = Arc::default();
    let mut groups = Vec::new();
    for g in 0..group_count {
        let starts = (0..3).map(|i| {
            let index = first + g * 3 + i;
            start_peer(index, relay_of(index), &tracker)
        });
        let peers = futures::future::join_all(starts).await;
        groups.push(Group {
            handles: peers.iter().map(|p| p.0.clone()).collect(),
            keys: peers.iter().map(|p| p.1).collect(),
        });
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    // Commands arrive on stdin, read on a plain thread (no tokio `io-std` needed).
    let (tx, mut commands) = futures::channel::mpsc::unbounded::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.unbounded_send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = commands.next().await {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["burst", count, salt] => {
                let count: usize = count.parse().unwrap_or(0);
                let salt: u64 = salt.parse().unwrap_or(0);
                let reply = worker_burst(&groups, &tracker, count, salt).await;
                let _ = writeln!(out, "{reply}");
                let _ = out.flush();
            }
            _ => break,
        }
    }
}

// ---------------------------------------------------------------- coordinator

struct Worker {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    groups: usize,
}

impl Worker {
    async fn spawn(relays: &[Multiaddr], first: usize, groups: usize) -> Self {
        let relays: Vec<String> = relays.iter().map(ToString::to_string).collect();
        let mut child = tokio::process::Command::new(std::env::current_exe().expect("exe"))
            .env("CAP_ROLE", "worker")
            .env("CAP_RELAY", relays.join(","))
            .env("CAP_FIRST", first.to_string())
            .env("CAP_GROUPS", groups.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start a worker");
        let stdin = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self {
            child,
            stdin,
            lines,
            groups,
        }
    }

    async fn expect_ready(&mut self) {
        let line = self.lines.next_line().await.expect("worker output");
        assert_eq!(line.as_deref(), Some("ready"), "worker did not start");
    }

    fn cpu(&self) -> Duration {
        self.child.id().map(cpu_of).unwrap_or_default()
    }
}

/// Outcome of one burst over every worker.
#[derive(Default)]
struct Burst {
    latencies: Vec<Duration>,
    unfinished: usize,
    late: usize,
    lost: usize,
    failed: usize,
}

async fn burst(workers: &mut [Worker], total: usize, salt: u64) -> Burst {
    let all_groups: usize = workers.iter().map(|w| w.groups).sum();
    // Split the sessions in proportion to each worker's groups.
    let last = workers.len() - 1;
    let mut left = total;
    for (i, w) in workers.iter_mut().enumerate() {
        let share = if i == last {
            left
        } else {
            (total * w.groups).div_ceil(all_groups).min(left)
        };
        left -= share;
        let cmd = format!("burst {share} {}\n", salt + (i as u64) * 1_000_000);
        w.stdin
            .write_all(cmd.as_bytes())
            .await
            .expect("worker stdin");
    }
    let mut out = Burst::default();
    for w in workers.iter_mut() {
        let line = w
            .lines
            .next_line()
            .await
            .expect("worker output")
            .expect("worker alive");
        let mut parts = line.split_whitespace();
        assert_eq!(parts.next(), Some("result"), "unexpected: {line}");
        let mut num = || {
            parts
                .next()
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
        };
        out.unfinished += num();
        out.late += num();
        out.lost += num();
        out.failed += num();
        if let Some(list) = parts.next() {
            out.latencies.extend(
                list.split(',')
                    .filter_map(|v| v.parse::<u64>().ok())
                    .map(Duration::from_micros),
            );
        }
    }
    out
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
    let relay_cpu = || relay_pids.iter().map(|&p| cpu_of(p)).sum::<Duration>();
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
        workers.push(Worker::spawn(&relay_addrs, first, groups).await);
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
        workers.iter().map(Worker::cpu).sum::<Duration>(),
    );
    tokio::time::sleep(idle).await;
    let relay_idle = relay_cpu().saturating_sub(relay_cpu0);
    let workers_idle = workers
        .iter()
        .map(Worker::cpu)
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
        let workers_cpu0: Duration = workers.iter().map(Worker::cpu).sum();
        let t0 = Instant::now();
        let mut b = burst(&mut workers, level, salt).await;
        let wall = t0.elapsed();
        salt += 1 << 32;
        let relay_cpu = relay_cpu().saturating_sub(relay_cpu0);
        let workers_cpu = workers
            .iter()
            .map(Worker::cpu)
            .sum::<Duration>()
            .saturating_sub(workers_cpu0);
        b.latencies.sort();
        let q = |p| quantile(&b.latencies, p);
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
        let Worker {
            mut child, stdin, ..
        } = w;
        drop(stdin); // end of input: the worker exits
        let _ = child.wait().await;
    }
    for relay in relays {
        relay.stop().await;
    }
}

fn main() {
    let threads = env_or("CAP_THREADS", 1).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    // `cargo bench` passes `--bench`; arguments are ignored.
    if std::env::var("CAP_ROLE").as_deref() == Ok("worker") {
        runtime.block_on(worker());
    } else {
        runtime.block_on(coordinator());
    }
}
