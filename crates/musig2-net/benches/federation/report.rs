//! The federation bench's coordinator: starts the relays and the workers, runs each phase and
//! prints the numbers.

use std::time::{Duration, Instant};

use musig2_net::libp2p::Multiaddr;

use crate::common::peer::key_of;
use crate::common::worker::{burst, WorkerProc};
use crate::common::{env_or, load1, quantile, wall_us, Outcome, Summary};
use crate::lookup::Lookup;
use crate::relay::RelayProcess;
use crate::topology::{relay_graph, wallet_relays, Layout, Rng};
use crate::worker::encode_layout;

/// The federation as drawn, and what is running.
struct Federation {
    relays: Vec<RelayProcess>,
    addrs: Vec<Multiaddr>,
    killed: Vec<bool>,
    /// For each group, the relays of its three wallets.
    placement: Vec<[Vec<usize>; 3]>,
    /// (relay, wallet index) of the watcher on each relay.
    watchers: Vec<(usize, u32)>,
    workers: Vec<WorkerProc>,
    /// First group of each worker.
    first_group: Vec<usize>,
    rng: Rng,
    /// Wallets that have not advertised yet.
    publishers: Vec<u32>,
}

fn wallet_index(group: usize, member: usize) -> u32 {
    1 + (group * 3 + member) as u32
}

fn row(name: &str, s: &Summary) {
    println!(
        "| {name} | {} | {} ({:.0} %) | {:.0} | {:.0} | {:.0} | {} | {} | {} |",
        s.total(),
        s.latencies.len(),
        100.0 * s.latencies.len() as f64 / s.total().max(1) as f64,
        s.q(0.5),
        s.q(0.99),
        s.q(1.0),
        s.unfinished,
        s.late + s.lost,
        s.failed,
    );
}

impl Federation {
    fn live(&self) -> Vec<usize> {
        (0..self.relays.len())
            .filter(|&r| !self.killed[r])
            .collect()
    }

    /// Whether every signer of `group` still has a live relay of its own.
    fn keeps_relays(&self, group: usize) -> bool {
        self.placement[group]
            .iter()
            .all(|set| set.iter().any(|&r| !self.killed[r]))
    }

    /// Outcomes of one burst, by global group.
    fn by_group(&self, outcomes: Vec<(usize, usize, Outcome)>) -> Vec<(usize, Outcome)> {
        outcomes
            .into_iter()
            .map(|(w, g, o)| (self.first_group[w] + g, o))
            .collect()
    }

    /// Fetches random wallets' route records through a client entering at a live relay.
    async fn lookups(&mut self, count: usize, salt: u8) -> (Vec<Duration>, usize) {
        let live = self.live();
        let entry = live[self.rng.below(live.len())];
        let mut seed = [0x5au8; 32];
        seed[0] = salt;
        let mut client = Lookup::enter(seed, &self.addrs[entry]).await;
        let mut found = Vec::new();
        let mut missed = 0;
        for _ in 0..count {
            let group = self.rng.below(self.placement.len());
            let member = self.rng.below(3);
            match client.route(&key_of(wallet_index(group, member))).await {
                Some(t) => found.push(t),
                None => missed += 1,
            }
        }
        found.sort();
        (found, missed)
    }

    async fn ask_all(&mut self, command: &str) -> Vec<String> {
        let mut out = Vec::new();
        for w in &mut self.workers {
            w.send(command).await;
            out.push(w.read().await);
        }
        out
    }

    fn worker_of(&self, wallet: u32) -> usize {
        let group = (wallet as usize - 1) / 3;
        self.first_group
            .iter()
            .rposition(|&g| g <= group)
            .unwrap_or(0)
    }

    /// Advertisements from fresh wallets: time until the last watcher validated each, every
    /// watcher's delay, and how many deliveries never happened within 5 s.
    async fn adverts(&mut self, count: usize) -> (Vec<Duration>, Vec<Duration>, usize) {
        let watchers = self.watchers.len();
        let (mut last, mut each, mut missing) = (Vec::new(), Vec::new(), 0);
        for _ in 0..count {
            let Some(publisher) = self.publishers.pop() else {
                break;
            };
            let w = self.worker_of(publisher);
            self.workers[w].send(&format!("advert {publisher}")).await;
            let reply = self.workers[w].read().await;
            let t0: u64 = reply
                .strip_prefix("advertised ")
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("advert failed: {reply}"));
            let deadline = Instant::now() + Duration::from_secs(5);
            let arrivals = loop {
                let mut seen: Vec<u64> = Vec::new();
                for line in self.ask_all(&format!("seen {publisher}")).await {
                    let list = line.strip_prefix("seen").unwrap_or("").trim();
                    seen.extend(list.split(',').filter_map(|v| v.parse::<u64>().ok()));
                }
                if seen.len() >= watchers || Instant::now() >= deadline {
                    break seen;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            missing += watchers.saturating_sub(arrivals.len());
            let delays: Vec<Duration> = arrivals
                .iter()
                .map(|&t| Duration::from_micros(t.saturating_sub(t0)))
                .collect();
            if arrivals.len() >= watchers {
                last.extend(delays.iter().max().copied());
            }
            each.extend(delays);
        }
        last.sort();
        each.sort();
        (last, each, missing)
    }

    /// Polls the workers until every wallet that lost a reservation since `kill_us` holds
    /// as many as before, or `limit` passes: (affected, not back, recovery times sorted).
    async fn recovery(&mut self, kill_us: u64, limit: Duration) -> (usize, usize, Vec<Duration>) {
        let deadline = Instant::now() + limit;
        loop {
            let (mut affected, mut pending, mut times) = (0, 0, Vec::new());
            for line in self.ask_all(&format!("recovery {kill_us}")).await {
                let mut parts = line.split_whitespace().skip(1);
                let mut num = || parts.next().and_then(|v| v.parse::<usize>().ok());
                affected += num().unwrap_or(0);
                pending += num().unwrap_or(0);
                times.extend(
                    parts
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .filter_map(|v| v.parse::<u64>().ok())
                        .map(Duration::from_millis),
                );
            }
            if pending == 0 || Instant::now() >= deadline {
                times.sort();
                return (affected, pending, times);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

fn print_lookups(when: &str, (found, missed): &(Vec<Duration>, usize)) {
    println!(
        "| DHT look-up of a route record, {when} | {} found, {missed} not | p50 {:.1} ms | p99 {:.1} ms | max {:.1} ms |",
        found.len(),
        quantile(found, 0.5),
        quantile(found, 0.99),
        quantile(found, 1.0),
    );
}

fn print_adverts(
    when: &str,
    watchers: usize,
    (last, each, missing): &(Vec<Duration>, Vec<Duration>, usize),
) {
    println!(
        "| advertisement to all {watchers} watchers, {when} | {} complete, {missing} deliveries missing | until the last: p50 {:.1} ms, p99 {:.1} ms | each watcher: p50 {:.1} ms, p99 {:.1} ms |",
        last.len(),
        quantile(last, 0.5),
        quantile(last, 0.99),
        quantile(each, 0.5),
        quantile(each, 0.99),
    );
}

async fn start(relays: usize, groups: usize, layout: Layout, seed: u64) -> Federation {
    let mut rng = Rng::new(seed);
    let graph = relay_graph(&mut rng, relays);
    let mut procs: Vec<RelayProcess> = Vec::new();
    for (i, peers) in graph.iter().enumerate() {
        let mut args = vec![
            "--reservations-per-ip-per-min".to_string(),
            "1000000".to_string(),
        ];
        for &p in peers {
            args.extend(["--peer".to_string(), procs[p].tcp.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        procs.push(RelayProcess::start_with(&format!("federation-{i}"), &args).await);
    }
    let edges: Vec<String> = graph
        .iter()
        .enumerate()
        .flat_map(|(i, ps)| ps.iter().map(move |p| format!("{i}→{p}")))
        .collect();
    println!("relay graph (`--peer` edges): {}\n", edges.join(" "));
    let addrs: Vec<Multiaddr> = procs.iter().map(|r| r.tcp.clone()).collect();
    let placement = wallet_relays(&mut rng, layout, relays, groups);
    let mut watchers: Vec<(usize, u32)> = Vec::new();
    for r in 0..relays {
        let found = (0..groups * 3).find(|&w| {
            let (g, m) = (w / 3, w % 3);
            placement[g][m].contains(&r) && !watchers.iter().any(|x| x.1 == wallet_index(g, m))
        });
        if let Some(w) = found {
            watchers.push((r, wallet_index(w / 3, w % 3)));
        }
    }
    let mut publishers: Vec<u32> = (1..=(groups * 3) as u32)
        .filter(|w| !watchers.iter().any(|x| x.1 == *w))
        .collect();
    // A random order, from the seed.
    for i in (1..publishers.len()).rev() {
        publishers.swap(i, rng.below(i + 1));
    }
    let worker_count = env_or("FED_WORKERS", 2).clamp(1, groups);
    let watcher_list: Vec<String> = watchers.iter().map(|w| w.1.to_string()).collect();
    let addr_list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    let mut workers = Vec::new();
    let mut first_group = Vec::new();
    let mut next = 0;
    for w in 0..worker_count {
        let share = groups / worker_count + usize::from(w < groups % worker_count);
        let sets: Vec<Vec<usize>> = placement[next..next + share]
            .iter()
            .flat_map(|g| g.iter().cloned())
            .collect();
        workers.push(WorkerProc::spawn(
            share,
            &[
                ("FED_RELAY_ADDRS", addr_list.join(",")),
                ("FED_FIRST", wallet_index(next, 0).to_string()),
                ("FED_LAYOUT", encode_layout(&sets)),
                ("FED_WATCHERS", watcher_list.join(",")),
            ],
        ));
        first_group.push(next);
        next += share;
    }
    Federation {
        killed: vec![false; relays],
        relays: procs,
        addrs,
        placement,
        watchers,
        workers,
        first_group,
        rng,
        publishers,
    }
}

/// The coordinator's main.
pub async fn run() {
    let relays = env_or("FED_RELAYS", 10).max(2);
    let groups = (env_or("FED_WALLETS", 300) / 3).max(1);
    let sessions = env_or("FED_SESSIONS", 100);
    let lookups = env_or("FED_LOOKUPS", 100);
    let adverts = env_or("FED_ADVERTS", 30);
    let kill_pct = env_or("FED_KILL_PCT", 30).min(90);
    let kill_after = Duration::from_millis(env_or("FED_KILL_AFTER_MS", 500) as u64);
    let seed = env_or("FED_SEED", 1) as u64;
    let layout = match std::env::var("FED_LAYOUT").as_deref() {
        Ok("same") => Layout::Same,
        _ => Layout::Cross,
    };
    println!(
        "## Federation: {relays} relays, {} wallets in groups of 3 ({layout:?} layout), seed {seed}; load {}\n",
        groups * 3,
        load1()
    );
    let t0 = Instant::now();
    let mut fed = start(relays, groups, layout, seed).await;
    for w in &mut fed.workers {
        w.expect_ready().await;
    }
    println!(
        "relays and wallets up in {:.1} s; watchers on relays {:?}\n",
        t0.elapsed().as_secs_f64(),
        fed.watchers.iter().map(|w| w.0).collect::<Vec<_>>()
    );
    // Let subscriptions and route records settle, then open every group's circuits.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t0 = Instant::now();
    let warm = Summary::of(
        burst(&mut fed.workers, groups, 1 << 40)
            .await
            .iter()
            .map(|x| &x.2),
    );
    println!(
        "warm-up: {} of {} sessions (one per group) in {:.1} s\n",
        warm.latencies.len(),
        warm.total(),
        t0.elapsed().as_secs_f64()
    );
    println!("| {sessions} concurrent 3-of-3 sessions | sessions | completed | p50 ms | p99 ms | max ms | unfinished | late or event lost | failed |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let up = Summary::of(
        burst(&mut fed.workers, sessions, 1 << 44)
            .await
            .iter()
            .map(|x| &x.2),
    );
    row("every relay up", &up);
    let lookups_up = fed.lookups(lookups, 1).await;
    let adverts_up = fed.adverts(adverts).await;

    // The same with some relays killed in the middle of a burst.
    let kills = (relays * kill_pct).div_ceil(100);
    let victims = fed.rng.distinct(relays, kills, |_| true);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut kill_us = 0;
    let (outcomes, ()) = {
        let Federation {
            workers,
            relays: procs,
            killed,
            ..
        } = &mut fed;
        tokio::join!(burst(workers, sessions, 1 << 46), async {
            tokio::time::sleep(kill_after).await;
            kill_us = wall_us();
            for &v in &victims {
                let _ = procs[v].child.start_kill();
                killed[v] = true;
            }
        })
    };
    let outcomes = fed.by_group(outcomes);
    let kept: Vec<&Outcome> = outcomes
        .iter()
        .filter(|(g, _)| fed.keeps_relays(*g))
        .map(|(_, o)| o)
        .collect();
    let orphaned: Vec<&Outcome> = outcomes
        .iter()
        .filter(|(g, _)| !fed.keeps_relays(*g))
        .map(|(_, o)| o)
        .collect();
    row(
        &format!(
            "relays {victims:?} killed {} ms in: signers keep a relay of their own",
            kill_after.as_millis()
        ),
        &Summary::of(kept),
    );
    row(
        "same burst: some signer lost every relay it was given",
        &Summary::of(orphaned),
    );
    let (affected, pending, times) = fed.recovery(kill_us, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = Summary::of(
        burst(&mut fed.workers, sessions, 1 << 47)
            .await
            .iter()
            .map(|x| &x.2),
    );
    row(
        &format!(
            "after recovery ({} of {relays} relays up)",
            fed.live().len()
        ),
        &after,
    );
    let lookups_down = fed.lookups(lookups, 2).await;
    let adverts_down = fed.adverts(adverts).await;
    println!();
    println!(
        "recovery: {affected} wallets lost a reservation; {} back at their count, {pending} not within 60 s; time from the kill until back: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms\n",
        times.len(),
        quantile(&times, 0.5),
        quantile(&times, 0.99),
        quantile(&times, 1.0),
    );
    println!("| measurement | count | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    print_lookups("every relay up", &lookups_up);
    print_lookups("after the kill", &lookups_down);
    let live_watchers = fed.watchers.len();
    print_adverts("every relay up", live_watchers, &adverts_up);
    print_adverts("after the kill", live_watchers, &adverts_down);
    for w in fed.workers {
        w.finish().await;
    }
    for relay in fed.relays {
        relay.stop().await;
    }
}
