//! Seeded simulation: many scenarios of random size, network faults, crashes and restarts,
//! each checked against the protocol invariants.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use musig2_session::crypto::Scheme;
use musig2_session::wire::TweakSpec;
use musig2_session::{Config, ElectionMethod, Event, Phase};
use rand_core::{RngCore, SeedableRng};

#[test]
fn three_nodes_on_a_perfect_network_complete() {
    let mut sim = Sim::new(1, 3, NetParams::perfect(), Config::default());
    let id = sim.create(0, b"hello", ElectionMethod::Lexicographic, TweakSpec::None);
    let ok = sim.run_while(T0 + 60_000, |s| s.all_completed(&id));
    for n in &sim.nodes {
        assert!(n.errors.is_empty(), "{:?}", n.errors);
    }
    assert!(
        ok,
        "phases: {:?}",
        (0..3).map(|i| sim.phase(i, &id)).collect::<Vec<_>>()
    );
    for i in 0..3 {
        let sigs = sim.signatures(i, &id);
        assert!(!sigs.is_empty());
        assert!(sigs
            .iter()
            .all(|s| verify_final(&sim.keys(), TweakSpec::None, b"hello", s)));
    }
}

/// What a scenario did, for the summary.
#[derive(Default, Debug)]
struct Stats {
    scenarios: u64,
    lotus: u64,
    crashes: u64,
    permanent_crashes: u64,
    failovers: u64,
    new_attempts: u64,
    delivered: u64,
    sim_ms: u64,
}

fn scenario(seed: u64, stats: &mut Stats) {
    let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(seed ^ 0x5eed);
    let mut pick = |m: u64| r.next_u64() % m;
    // Mostly small sessions (the cost is quadratic in N), one in eight with 5 or 6 signers.
    let n = if pick(8) == 0 {
        5 + pick(2)
    } else {
        2 + pick(3)
    } as usize;
    let lat_min = 1 + pick(50);
    let params = NetParams {
        latency_min: lat_min,
        latency_max: lat_min + pick(300),
        loss: pick(150) as u32,
        dup: pick(100) as u32,
    };
    let election = ElectionMethod::from_code(pick(4) as u8).unwrap();
    let tweak = match pick(3) {
        0 => TweakSpec::None,
        1 => TweakSpec::Taproot { merkle_root: None },
        _ => TweakSpec::Taproot {
            merkle_root: Some([7; 32]),
        },
    };
    let creator = pick(n as u64) as usize;
    // Crash plan: (node, crash at, restart after). Kind 4: the coordinator dies for good
    // right after round 2 (failover must deliver). Kind 5: a random node dies for good at a
    // random time (the session must complete or fail at expiry, never hang).
    let mut crashes = Vec::new();
    let kind = pick(10);
    if kind < 4 {
        for _ in 0..1 + pick(2) {
            crashes.push((pick(n as u64) as usize, pick(600), 300 + pick(8_000)));
        }
    }
    let victim = pick(n as u64) as usize;
    let victim_at = pick(800);
    // One scenario in four signs with the Lotus scheme (32-byte messages).
    let scheme = if pick(4) == 0 {
        Scheme::Lotus
    } else {
        Scheme::Bip327
    };
    let len = if scheme == Scheme::Lotus {
        32
    } else {
        1 + pick(64) as usize
    };
    let mut msg = vec![0u8; len];
    msg.iter_mut().for_each(|b| *b = pick(256) as u8);

    // Sessions that may be left to expire get a short lifetime, to keep the test quick.
    let lifetime = if kind == 5 {
        30_000
    } else {
        Config::default().session_lifetime_ms
    };
    let config = Config {
        session_lifetime_ms: lifetime,
        ..Config::default()
    };
    let mut sim = Sim::with_scheme(seed, n, params, config, scheme);
    let id = sim.create(creator, &msg, election, tweak);
    let mut plan: Vec<(u64, usize, bool)> = Vec::new();
    for (node, at, back) in &crashes {
        plan.push((T0 + at, *node, false));
        plan.push((T0 + at + back, *node, true));
    }
    plan.sort();
    for (at, node, up) in plan {
        sim.run_until(at);
        match (up, sim.nodes[node].machine.is_some()) {
            (false, true) => {
                sim.crash(node);
                stats.crashes += 1;
            }
            (true, false) => sim.restart(node),
            _ => {}
        }
    }
    let mut down_for_good = Vec::new();
    if kind == 4 && n > 2 {
        let coordinator = sim.nodes[creator]
            .machine
            .as_ref()
            .unwrap()
            .session(&id)
            .unwrap()
            .order[0];
        let c = sim.index_of(&coordinator).unwrap();
        // Killed once every other signer holds all partial signatures (after round 2).
        let others_done = |s: &Sim| {
            (0..n)
                .filter(|&i| i != c)
                .all(|i| s.phase(i, &id).is_some_and(|p| p >= Phase::Aggregation))
        };
        if sim.run_while(T0 + 120_000, others_done) {
            sim.crash(c);
            down_for_good.push(c);
        }
    } else if kind == 5 && n > 2 {
        sim.run_until(sim.now.max(T0 + victim_at));
        sim.crash(victim);
        let live: Vec<usize> = (0..n).filter(|&i| i != victim).collect();
        let ended = |s: &Sim| {
            live.iter().all(|&i| {
                matches!(
                    s.phase(i, &id),
                    Some(Phase::BroadcastConfirmation | Phase::Completed | Phase::Failed)
                )
            })
        };
        let expiry = T0 + lifetime;
        assert!(
            sim.run_while(expiry + 60_000, ended),
            "seed {seed}: hung after a permanent crash"
        );
        stats.permanent_crashes += 1;
        stats.scenarios += 1;
        return;
    }
    stats.permanent_crashes += down_for_good.len() as u64;
    let live: Vec<usize> = (0..n).filter(|i| !down_for_good.contains(i)).collect();
    let done = |s: &Sim| {
        live.iter().all(|&i| {
            let p = s.phase(i, &id);
            if down_for_good.is_empty() {
                p == Some(Phase::Completed)
            } else {
                matches!(p, Some(Phase::BroadcastConfirmation | Phase::Completed))
            }
        })
    };
    let finished = sim.run_while(T0 + 300_000, done);
    let phases: Vec<_> = (0..n)
        .map(|i| {
            (
                sim.phase(i, &id),
                sim.nodes[i]
                    .machine
                    .as_ref()
                    .and_then(|m| m.session(&id))
                    .map(|s| s.attempt),
            )
        })
        .collect();
    if !finished {
        for (i, node) in sim.nodes.iter().enumerate() {
            let info = node.machine.as_ref().and_then(|m| m.session(&id));
            eprintln!(
                "node {i} waiting for {:?}",
                info.map(|s| s
                    .waiting_for
                    .iter()
                    .map(|k| sim.index_of(k))
                    .collect::<Vec<_>>())
            );
            eprintln!(
                "node {i} up={} errors={:?}",
                node.machine.is_some(),
                node.errors.iter().take(12).collect::<Vec<_>>()
            );
            eprintln!(
                "  events={:?}",
                node.events
                    .iter()
                    .map(|(t, e)| (
                        t - T0,
                        format!("{e:?}").chars().take(40).collect::<String>()
                    ))
                    .collect::<Vec<_>>()
            );
        }
    }
    assert!(
        finished,
        "seed {seed}: n={n} crashes={crashes:?} phases={phases:?}"
    );

    // Every signature any node accepted verifies, independently of the session crate.
    let keys = sim.keys();
    for i in 0..n {
        for sig in sim.signatures(i, &id) {
            assert!(
                verify_final_with(scheme, &keys, tweak, &msg, &sig),
                "seed {seed}: bad signature at {i}"
            );
            if scheme == Scheme::Bip327 {
                assert!(verify_final(&keys, tweak, &msg, &sig));
            }
        }
    }
    // Every node computed the same coordinator and failover order.
    let orders: Vec<Vec<_>> = (0..n)
        .flat_map(|i| {
            sim.nodes[i].events.iter().filter_map(|(_, e)| match e {
                Event::CoordinatorElected { session_id, order } if *session_id == id => {
                    Some(order.clone())
                }
                _ => None,
            })
        })
        .collect();
    assert!(
        orders.len() >= live.len() && orders.windows(2).all(|w| w[0] == w[1]),
        "seed {seed}: orders differ"
    );
    let expected = musig2_session::failover_order(election, &id, &keys);
    if !election.depends_on_announced_order() {
        assert_eq!(orders[0], expected);
    }
    // No nonce was sent by two nodes (per-node reuse is asserted as messages leave).
    let mut all = std::collections::BTreeSet::new();
    for node in &sim.nodes {
        for nonce in node.nonces_sent.keys() {
            assert!(
                all.insert(*nonce),
                "seed {seed}: nonce shared between nodes"
            );
        }
    }
    // No honest peer ended up graylisted or blacklisted.
    for &i in &live {
        let m = sim.nodes[i].machine.as_ref().unwrap();
        for node in &sim.nodes {
            assert_eq!(
                m.standing(&node.peer, sim.now),
                musig2_session::reputation::Standing::Good,
                "seed {seed}"
            );
        }
    }
    for node in &sim.nodes {
        for (_, e) in &node.events {
            match e {
                Event::Failover { .. } => stats.failovers += 1,
                Event::NewAttempt { .. } => stats.new_attempts += 1,
                _ => {}
            }
        }
    }
    stats.scenarios += 1;
    stats.lotus += u64::from(scheme == Scheme::Lotus);
    stats.delivered += sim.delivered;
    stats.sim_ms += sim.now - T0;
}

fn run_batch(batch: u64, count: u64) -> Stats {
    let mut stats = Stats::default();
    for k in 0..count {
        scenario(batch * 1_000_000 + k, &mut stats);
    }
    eprintln!("batch {batch}: {stats:?}");
    stats
}

// 1,000 seeded scenarios in 8 batches so the test harness runs them on every core.
const PER_BATCH: u64 = 125;

#[test]
fn sim_batch_0() {
    assert_eq!(run_batch(0, PER_BATCH).scenarios, PER_BATCH);
}
#[test]
fn sim_batch_1() {
    assert_eq!(run_batch(1, PER_BATCH).scenarios, PER_BATCH);
}
#[test]
fn sim_batch_2() {
    assert_eq!(run_batch(2, PER_BATCH).scenarios, PER_BATCH);
}
#[test]
fn sim_batch_3() {
    assert_eq!(run_batch(3, PER_BATCH).scenarios, PER_BATCH);
}
#[test]
fn sim_batch_4() {
    assert_eq!(run_batch(4, PER_BATCH).scenarios, PER_BATCH);
}
#[test]
fn sim_batch_5() {
    assert_eq!(run_batch(5, PER_BATCH).scenarios, PER_BATCH);
}
#[test]
fn sim_batch_6() {
    assert_eq!(run_batch(6, PER_BATCH).scenarios, PER_BATCH);
}
#[test]
fn sim_batch_7() {
    assert_eq!(run_batch(7, PER_BATCH).scenarios, PER_BATCH);
}

#[test]
#[ignore]
fn debug_seed() {
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let mut stats = Stats::default();
    scenario(seed, &mut stats);
}
